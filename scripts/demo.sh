#!/usr/bin/env bash
# The main job: install, build, quantize the bundled Fashion-MNIST ResNet with 300 calibration
# images, then measure FP32 and INT8 side by side in this one run: top-1 on the 10,000 test
# images, batch-1 latency in octet and in ONNX Runtime, and file size. Also builds and installs
# the Python module (docs/python.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh" "$here/build" --target octet --target _octet
# The Python module into Debian's /usr/local/lib/python3.X/dist-packages, where /usr/bin/python3
# finds it: `import octet` works after this script (docs/python.md).
cmake --install "$here/build" --component python >/dev/null
octet="$here/build/octet"
model="${1:-$here/models/fmnist_resnet.onnx}"
out="$here/build/demo"
mkdir -p "$out"
int8="$out/$(basename "${model%.onnx}")_int8.onnx"
threads="$(nproc)"

echo "== quantize $(basename "$model") (DefaultQuantization, 300 calibration images from the training split)"
"$octet" quantize "$model" -o "$int8" --data fashion-mnist:train --subset-size 300 \
  --report "$out/report.json" --threads "$threads"

echo "== evaluate and benchmark, FP32 and INT8"
for m in fp32 int8; do
  path="$model"; [ "$m" = int8 ] && path="$int8"
  "$octet" eval "$path" --data fashion-mnist:test --metric top1 --threads "$threads" --json > "$out/eval_$m.json"
  "$octet" bench "$path" --threads "$threads" --iters 300 --json > "$out/bench_$m.json"
  node "$here/peer/ort_run.js" bench "$path" --threads "$threads" --iters 300 --json > "$out/ort_$m.json"
done

/usr/bin/python3 - "$out" "$model" "$int8" <<'PY'
import json, os, sys
out, fp32, int8 = sys.argv[1:4]
def load(name): return json.load(open(os.path.join(out, name)))
rows = []
for m, path in (("FP32", fp32), ("INT8", int8)):
    e, b, o = load(f"eval_{m.lower()}.json"), load(f"bench_{m.lower()}.json"), load(f"ort_{m.lower()}.json")
    rows.append((m, e["value"] * 100, e["samples"], b["latency_ms"]["median"], o["latency_ms"]["median"], os.path.getsize(path) / 1024))
print()
print(f"{'model':6} {'top-1 %':>8} {'images':>7} {'octet ms':>9} {'ORT ms':>8} {'size KiB':>9}")
for r in rows:
    print(f"{r[0]:6} {r[1]:8.2f} {r[2]:7d} {r[3]:9.3f} {r[4]:8.3f} {r[5]:9.1f}")
f, i = rows
print(f"\nINT8 vs FP32: top-1 {i[1]-f[1]:+.2f} points, octet latency x{i[3]/f[3]:.2f}, size x{i[5]/f[5]:.2f}")
print(f"octet INT8 vs ONNX Runtime INT8 (same QDQ file): x{i[3]/i[4]:.2f} latency")
PY
