#!/usr/bin/python3
"""Exports the benchmark and interop models: torchvision CNNs with random weights, to ONNX.

The weights are random (fixed seed) because nothing may be downloaded at run time; random
weights exercise the same kernels and shapes as trained ones, which is what interop tests and
latency benchmarks need. Accuracy is measured elsewhere on models trained here.

usage: /usr/bin/python3 scripts/export_bench_models.py [CACHE_DIR] [--only NAME,...] [--force]
CACHE_DIR defaults to $OCTET_MODEL_CACHE, else <repo>/.cache/models. Models already there are
skipped. Each file is NAME.onnx: opset 13 (or the one its name says), input "input" [batch,3,224,224] float32 with a
dynamic dim 0 named "batch", output "logits" [batch,1000].
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch
import torchvision

# name -> (torchvision constructor, ONNX opset); all take 224x224 RGB and give 1000 logits.
# The older-opset variants are there because models in the wild still use opsets 9 and 11
# (Clip's bounds as attributes in 9, as inputs from 11; Upsample-era shape ops).
MODELS = {
    "resnet18": (torchvision.models.resnet18, 13),
    "resnet50": (torchvision.models.resnet50, 13),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 13),
    "mobilenet_v3_small": (torchvision.models.mobilenet_v3_small, 13),
    "efficientnet_b0": (torchvision.models.efficientnet_b0, 13),
    "resnet18_opset9": (torchvision.models.resnet18, 9),
    "mobilenet_v2_opset11": (torchvision.models.mobilenet_v2, 11),
}
SEED = 20240601


def randomize_batchnorm(model):
    # Fresh BatchNorm layers are identity (mean 0, var 1, gamma 1, beta 0); random statistics
    # make the Conv+BN folding in the optimizer do real arithmetic that the tests can check.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)


def export(name, path):
    torch.manual_seed(SEED)
    constructor, opset = MODELS[name]
    model = constructor(weights=None)
    randomize_batchnorm(model)
    model.eval()
    dummy = torch.randn(1, 3, 224, 224)
    # Write to a temporary file in the same folder, then rename: a run killed half-way never
    # leaves a truncated model that later runs would "skip" as present.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".onnx.tmp", dir=os.path.dirname(path))
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(
                model, dummy, tmp,
                opset_version=opset,
                input_names=["input"],
                output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                do_constant_folding=True,
            )
        check(name, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared with other tools
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def check(name, path):
    # The contract the tests and benchmarks rely on; torch 1.13 has been seen to break it when
    # several models are exported in one process (output renamed "output", batch dim fixed).
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    for value, want in ((graph.input[0], "input"), (graph.output[0], "logits")):
        dim0 = value.type.tensor_type.shape.dim[0]
        if value.name != want or dim0.dim_param != "batch":
            sys.exit(f"export_bench_models: {name}: exported {value.name!r} with dim 0 "
                     f"{dim0.dim_param or dim0.dim_value!r}; wanted {want!r} with dim 0 'batch'")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_dir = os.environ.get("OCTET_MODEL_CACHE", os.path.join(os.path.dirname(here), ".cache", "models"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache_dir", nargs="?", default=default_dir)
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(MODELS))
    parser.add_argument("--force", action="store_true", help="export again even if present")
    parser.add_argument("--export-one", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_one:
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        export(*args.export_one)
        return

    names = [n for n in args.only.split(",") if n] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"export_bench_models: unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    os.makedirs(args.cache_dir, exist_ok=True)
    for name in names:
        path = os.path.join(args.cache_dir, name + ".onnx")
        if os.path.exists(path) and not args.force:
            print(f"{name}: present ({path})")
            continue
        start = time.time()
        # One process per model: torch.onnx keeps state between exports (see check()).
        subprocess.run([sys.executable, os.path.abspath(__file__), "--export-one", name, path], check=True)
        print(f"{name}: exported to {path} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
