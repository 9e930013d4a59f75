#!/usr/bin/python3
"""Latency of octet against ONNX Runtime on the bench models, per thread count.

For each model and each thread count, runs `octet bench --json` and
`node peer/ort_run.js bench --json` with the same iterations, warm-up and batch, and prints a
table: model, threads, octet median ms, ORT median ms, octet/ORT ratio (below 1: octet is
faster). Models are the cache's FP32 bench models (exported if missing) plus any given with
--model NAME=PATH (INT8 models: octet's quantized output next to ORT's, for instance).

usage: /usr/bin/python3 bench/compare_ort.py [--threads 1,2] [--iters 20] [--warmup 3]
           [--batch 1] [--models resnet18,...] [--model NAME=PATH ...] [--octet PATH]
           [--markdown] [--json-out FILE]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]


def find_octet(given):
    candidates = [given] if given else [os.environ.get("OCTET_CLI", ""), os.path.join(ROOT, "build", "octet")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    sys.exit("compare_ort: no octet binary found; build it (cmake -B build && make -C build) or pass --octet PATH")


def bench(command, what):
    start = time.time()
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [l.strip() for l in proc.stderr.strip().splitlines()] or [f"exit code {proc.returncode}"]
        print(f"  {what}: failed: {' '.join(lines[:3])}", file=sys.stderr)
        return None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            result["wall_s"] = time.time() - start
            return result
    print(f"  {what}: no JSON in its output", file=sys.stderr)
    return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--models", default=",".join(BENCH_MODELS), help="cache models to include ('' for none)")
    parser.add_argument("--model", action="append", default=[], metavar="NAME=PATH", help="an extra model")
    parser.add_argument("--cache", default=os.environ.get("OCTET_MODEL_CACHE", os.path.join(ROOT, ".cache", "models")))
    parser.add_argument("--octet", default="")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json-out", default="", help="also write every raw result to this file")
    args = parser.parse_args()

    octet = find_octet(args.octet)
    names = [m for m in args.models.split(",") if m]
    models = []
    if names:
        missing = [n for n in names if not os.path.exists(os.path.join(args.cache, n + ".onnx"))]
        if missing:
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_bench_models.py"), args.cache,
                            "--only", ",".join(missing)], check=True)
        models += [(n, os.path.join(args.cache, n + ".onnx")) for n in names]
    for spec in args.model:
        name, sep, path = spec.partition("=")
        if not sep or not os.path.exists(path):
            sys.exit(f"compare_ort: --model wants NAME=PATH of an existing file, got {spec!r}")
        models.append((name, path))
    threads = [int(t) for t in args.threads.split(",") if t]
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]

    rows, raw = [], []
    for name, path in models:
        for t in threads:
            common = ["--threads", str(t), "--iters", str(args.iters), "--warmup", str(args.warmup),
                      "--batch", str(args.batch), "--json"]
            mine = bench([octet, "bench", path] + common, f"octet {name} x{t}")
            peer = bench(["node", os.path.join(ROOT, "peer", "ort_run.js"), "bench", path] + common, f"ORT {name} x{t}")
            raw.append({"model": name, "path": path, "threads": t, "octet": mine, "ort": peer})
            o = mine["latency_ms"]["median"] if mine else None
            r = peer["latency_ms"]["median"] if peer else None
            rows.append((name, t, o, r, (o / r) if o and r else None))
            print(f"  {name} x{t}: octet {o if o is None else round(o, 2)} ms, ORT {r if r is None else round(r, 2)} ms",
                  file=sys.stderr)

    with open("/proc/loadavg") as f:
        load_after = f.read().split()[0]
    fmt = lambda v, d=2: "failed" if v is None else f"{v:.{d}f}"
    header = ["model", "threads", "octet median ms", "ORT median ms", "octet/ORT"]
    print(f"# {time.strftime('%Y-%m-%d')}, {cpu_name()}, {os.cpu_count()} cores, batch {args.batch}, "
          f"{args.iters} iters after {args.warmup} warm-up, load average {load_before} before / {load_after} after")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for n, t, o, r, q in rows:
            print(f"| {n} | {t} | {fmt(o)} | {fmt(r)} | {fmt(q)} |")
    else:
        print(f"{header[0]:<22}{header[1]:>8}{header[2]:>18}{header[3]:>16}{header[4]:>11}")
        for n, t, o, r, q in rows:
            print(f"{n:<22}{t:>8}{fmt(o):>18}{fmt(r):>16}{fmt(q):>11}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"cpu": cpu_name(), "date": time.strftime("%Y-%m-%d %H:%M"), "load": [load_before, load_after],
                       "results": raw}, f, indent=1)
    return 0 if all(r[4] is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
