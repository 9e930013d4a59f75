#!/usr/bin/python3
"""INT8 against FP32 latency, octet and ONNX Runtime, on the same models.

For each model pair (FP32 model, its QDQ INT8 model) and each thread count, runs in rounds:
`octet bench` on the INT8 and the FP32 model, and `node peer/ort_run.js bench` on both,
interleaved so that a changing machine load hits all four alike. Prints, per model and
threads, the median over rounds of each run's median latency and the minimum over all runs,
the INT8/FP32 ratios, and the load average before and after (the CPU may be shared).

usage: /usr/bin/python3 bench/int8_speed.py --pair NAME=FP32.onnx,INT8.onnx [--pair ...]
           [--threads 1,2] [--rounds 5] [--iters 20] [--warmup 3] [--octet PATH] [--json-out FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(command):
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"int8_speed: {' '.join(command)} failed: {proc.stderr.strip()[:400]}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"int8_speed: no JSON from {' '.join(command)}")


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", action="append", required=True, help="NAME=FP32.onnx,INT8.onnx")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--octet", default=os.environ.get("OCTET_CLI", os.path.join(ROOT, "build", "octet")))
    parser.add_argument("--json-out")
    args = parser.parse_args()

    results = []
    for pair in args.pair:
        name, paths = pair.split("=", 1)
        fp32, int8 = paths.split(",")
        for threads in [int(t) for t in args.threads.split(",")]:
            common = ["--threads", str(threads), "--iters", str(args.iters), "--warmup", str(args.warmup), "--json"]
            configs = {
                "octet_int8": [args.octet, "bench", int8] + common,
                "octet_fp32": [args.octet, "bench", fp32] + common,
                "ort_int8": ["node", os.path.join(ROOT, "peer", "ort_run.js"), "bench", int8] + common,
                "ort_fp32": ["node", os.path.join(ROOT, "peer", "ort_run.js"), "bench", fp32] + common,
            }
            load_before = load_average()
            medians = {k: [] for k in configs}
            minima = {k: [] for k in configs}
            int8_nodes = None
            for _ in range(args.rounds):
                for key, command in configs.items():
                    r = run_json(command)
                    medians[key].append(r["latency_ms"]["median"])
                    minima[key].append(r["latency_ms"]["min"])
                    if key == "octet_int8":
                        int8_nodes = r.get("nodes_by_dtype")
            row = {"model": name, "threads": threads, "load_before": load_before, "load_after": load_average(),
                   "octet_int8_nodes_by_dtype": int8_nodes}
            for key in configs:
                row[key + "_median_ms"] = statistics.median(medians[key])
                row[key + "_min_ms"] = min(minima[key])
            results.append(row)
            print(f"{name} threads={threads} load {row['load_before']:.1f}->{row['load_after']:.1f}: " +
                  ", ".join(f"{k} {row[k + '_median_ms']:.2f} (min {row[k + '_min_ms']:.2f})" for k in configs) +
                  f" | octet int8/fp32 {row['octet_int8_median_ms'] / row['octet_fp32_median_ms']:.2f}"
                  f" (min {row['octet_int8_min_ms'] / row['octet_fp32_min_ms']:.2f})"
                  f", octet int8 / ort int8 {row['octet_int8_median_ms'] / row['ort_int8_median_ms']:.2f}"
                  f" (min {row['octet_int8_min_ms'] / row['ort_int8_min_ms']:.2f})", flush=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
