#!/usr/bin/python3
"""The table of docs/real-models.md: every model of the real-model corpus (scripts/fetch_models.sh)
with its ops, FP32 parity against ONNX Runtime, INT8 similarity, and FP32/INT8 latency in octet
and ONNX Runtime.

For each model: inputs from scripts/corpus_inputs.py (a fixed random input, 16 calibration
samples of the right kind, a held-out sample); FP32 parity = max |octet - ORT| / ORT's output
range on the fixed input (worst output); `octet quantize` on the calibration samples; INT8
similarity = cosine of INT8 and FP32 outputs on the held-out sample (worst output; octet's INT8
run against octet's FP32, ORT's against ORT's; peak maps compared within one pixel); latency = median ms of `octet bench` and
`node peer/ort_run.js bench` (--threads, --iters). A step that fails shows its first error line.
Latency wants a quiet machine: the table says when the load average was above the core count.

usage: /usr/bin/python3 bench/real_models.py [--models DIR] [--threads 1] [--iters 50]
           [--only NAME,...] [--octet PATH] [--json-out FILE]
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command):
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        text = (proc.stdout + proc.stderr).strip().splitlines()
        errors = [l for l in text if "error" in l.lower()] or text or [f"exit code {proc.returncode}"]
        raise RuntimeError(errors[0].strip()[:160])
    return proc.stdout


def outputs(folder):
    return {f: np.load(os.path.join(folder, f)).astype(np.float64) for f in sorted(os.listdir(folder))}


class Model:
    def __init__(self, path, work, octet, threads):
        self.path, self.work, self.octet, self.threads = path, work, octet, threads
        run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "corpus_inputs.py"), path, work, "--octet", octet])
        with open(os.path.join(work, "meta.json")) as f:
            self.meta = json.load(f)

    def inputs(self, subset):
        flags = []
        for i in self.meta["inputs"]:
            flags += ["--input", f"{i['name']}={os.path.join(self.work, subset, i['file'])}"]
        return flags

    def shapes(self):
        flags = []
        for i in self.meta["inputs"]:
            if i["shape"]:
                flags += ["--shape", f"{i['name']}=" + ",".join(str(d) for d in i["shape"])]
        return flags

    def infer(self, engine, model, subset, tag):
        out = os.path.join(self.work, tag)
        shutil.rmtree(out, ignore_errors=True)
        if engine == "octet":
            run([self.octet, "run", model] + self.inputs(subset) + ["--output-dir", out])
        else:
            run(["node", os.path.join(ROOT, "peer", "ort_run.js"), "run", model] + self.inputs(subset) +
                ["--output-dir", out, "--threads", str(self.threads)])
        return outputs(out)

    def quantize(self):
        target = os.path.join(self.work, "int8.onnx")
        data = ",".join(f"{i['name']}={os.path.join(self.work, 'calib', i['file'])}" for i in self.meta["inputs"])
        run([self.octet, "quantize", self.path, "-o", target, "--data", data, "--subset-size", "16"] + self.shapes())
        return target

    def latency(self, engine, model, iters):
        if engine == "octet":
            text = run([self.octet, "bench", model, "--threads", str(self.threads), "--iters", str(iters), "--json"] +
                       self.shapes())
        else:
            text = run(["node", os.path.join(ROOT, "peer", "ort_run.js"), "bench", model, "--threads", str(self.threads),
                        "--iters", str(iters), "--json"] + self.shapes())
        return json.loads(text.strip().splitlines()[-1])["latency_ms"]["median"]


def cosine(a, b):
    """As tests/interop/real_models_test.cpp: two (near) silent outputs agree."""
    a, b = a.ravel(), b.ravel()
    silent = 1e-12 * a.size
    if a @ a <= silent and b @ b <= silent:
        return 1.0
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na and nb else 0.0


def dilate_peaks(v):
    """A rank-4 peak map (NHWC or NCHW), each element the largest within one pixel, as the
    test compares peak maps: a local maximum that moved to a neighbour still meets its original."""
    if v.ndim != 4:
        return v
    x = v if (v.shape[3] <= 4 and v.shape[1] > 4) else v.transpose(0, 2, 3, 1)  # to NHWC
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    h, w = x.shape[1], x.shape[2]
    return np.max([p[:, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=0)


def op_summary(path):
    model = onnx.load(path, load_external_data=False)
    counts = collections.Counter(n.op_type for n in model.graph.node)
    return ", ".join(f"{op} {n}" for op, n in counts.most_common())


def attempt(row, key, fn):
    try:
        row[key] = fn()
    except Exception as e:  # a failed step is a finding for the table, not the end of the run
        row[key] = None
        row.setdefault("errors", []).append(f"{key}: {e}")


def measure(path, args, work):
    row = {"model": os.path.basename(path), "package": os.path.relpath(path, args.models).split(os.sep)[0],
           "ops": op_summary(path)}
    try:
        m = Model(path, work, args.octet, args.threads)
    except Exception as e:
        row["errors"] = [f"inputs: {e}"]
        return row

    def parity():
        want, got = m.infer("ort", path, "input", "ort"), m.infer("octet", path, "input", "octet")
        # A one-element output (a wake-word score) has no range: its magnitude stands in, as in the test.
        def scale(w):
            return max(float(np.ptp(w)) or float(np.max(np.abs(w))), 1e-6)
        return max(float(np.max(np.abs(got[f] - w))) / scale(w) for f, w in want.items())

    attempt(row, "fp32_parity", parity)
    attempt(row, "int8_path", m.quantize)
    if row.get("int8_path"):
        def similarity(engine):
            fp32 = m.infer(engine, path, "heldout", f"{engine}_fp32")
            int8 = m.infer(engine, row["int8_path"], "heldout", f"{engine}_int8")
            peaks = set(m.meta.get("peak_files", []))
            return min(cosine(dilate_peaks(int8[f]), dilate_peaks(w)) if f in peaks else cosine(int8[f], w)
                       for f, w in fp32.items())
        attempt(row, "int8_cosine_octet", lambda: similarity("octet"))
        attempt(row, "int8_cosine_ort", lambda: similarity("ort"))
    for engine in ("octet", "ort"):
        attempt(row, f"fp32_ms_{engine}", lambda: m.latency(engine, path, args.iters))
        if row.get("int8_path"):
            attempt(row, f"int8_ms_{engine}", lambda: m.latency(engine, row["int8_path"], args.iters))
    return row


def fmt(v, spec):
    return "fails" if v is None else format(v, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=os.environ.get("OCTET_REAL_MODELS", os.path.join(ROOT, ".cache", "real-models")))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated model file names")
    parser.add_argument("--octet", default=os.environ.get("OCTET_CLI", os.path.join(ROOT, "build", "octet")))
    parser.add_argument("--json-out")
    args = parser.parse_args()
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(args.models) for f in files if f.endswith(".onnx"))
    if args.only:
        paths = [p for p in paths if os.path.basename(p) in args.only.split(",")]
    if not paths:
        sys.exit(f"real_models: no models under {args.models}; run scripts/fetch_models.sh")
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="octet-real-models-") as tmp:
        for k, path in enumerate(paths):
            print(f"real_models: {os.path.basename(path)}", file=sys.stderr)
            rows.append(measure(path, args, os.path.join(tmp, str(k))))
    load = max(load, os.getloadavg()[0])
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"threads": args.threads, "iters": args.iters, "load_average": load, "rows": rows}, f, indent=1)
    cores = os.cpu_count() or 1
    print(f"{args.threads} thread(s), median of {args.iters} runs; load average {load:.1f} on {cores} cores"
          + (" -- A LOADED MACHINE: latencies are indicative only" if load > cores else ""))
    print()
    print("| model | ops | FP32 max diff / range | INT8 cosine octet / ORT | FP32 ms octet / ORT | INT8 ms octet / ORT |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['ops']} | {fmt(r.get('fp32_parity'), '.1e')} "
              f"| {fmt(r.get('int8_cosine_octet'), '.4f')} / {fmt(r.get('int8_cosine_ort'), '.4f')} "
              f"| {fmt(r.get('fp32_ms_octet'), '.2f')} / {fmt(r.get('fp32_ms_ort'), '.2f')} "
              f"| {fmt(r.get('int8_ms_octet'), '.2f')} / {fmt(r.get('int8_ms_ort'), '.2f')} |")
    failures = [(r["model"], e) for r in rows for e in r.get("errors", [])]
    if failures:
        print()
        for model, e in failures:
            print(f"- {model}: {e}")


if __name__ == "__main__":
    main()
