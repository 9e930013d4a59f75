#!/usr/bin/python3
"""octet's INT8 accuracy next to PyTorch's own post-training static quantization (FX graph
mode), on the same trained Fashion-MNIST networks, the same 300 calibration images and the
same 10,000 test images, all measured in one run so the numbers can be compared.

The torch networks are the training script's own nn.Modules with the weights read back from
the committed ONNX files, so FX sees what a PyTorch user has (Conv-BN-ReLU, LayerNorm, GELU...).
octet is run through its CLI (quantize, then eval) on the same files.

  /usr/bin/python3 bench/compare_torch_ptq.py [--octet build/octet] [--models a,b] [--threads 2]
                                              [--seeds 0,1,2] [--backends onednn,qnnpack]
                                              [--markdown OUT.md] [--json OUT.json]
About 10 minutes on 2 idle cores, mostly torch's HistogramObserver. Results: docs/ptq-comparison.md.

Top-1 on 10,000 images moves by a few images between equally good quantizations, so one
calibration subset cannot tell two methods apart when they differ by that much. --seeds runs
everything once per calibration subset (octet's --seed picks the same images torch gets) and
adds a table of the mean and standard deviation over the subsets.
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import train_fashion_models as tfm  # noqa: E402  (the models, the data reader, the preprocessing)

MODEL_NAMES = ["fmnist_resnet", "fmnist_mobilenet", "fmnist_vit"]
# Engines tried in order; Debian's torch 1.13 is built without fbgemm, so x86/fbgemm say why.
BACKENDS = ["x86", "fbgemm", "onednn", "qnnpack", "qnnpack-pc"]
PRESETS = ["performance", "mixed"]  # octet's default preset first
CALIB_COUNT = 300
CALIB_SEED = 0


# ---------------------------------------------------------------- calibration subset
def splitmix64(state):
    mask = (1 << 64) - 1
    state = (state + 0x9E3779B97F4A7C15) & mask
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return state, z ^ (z >> 31)


def sample_indices(size, n, seed):
    """octet's src/data/batching.cpp sample_indices, step for step: a partial Fisher-Yates shuffle
    driven by splitmix64, the first n slots sorted. `octet quantize --subset-size 300` (seed 0)
    calibrates on exactly these training images."""
    if n == 0 or n >= size:
        return list(range(size))
    order = list(range(size))
    state = seed
    for i in range(n):
        state, r = splitmix64(state)
        j = i + r % (size - i)
        order[i], order[j] = order[j], order[i]
    return sorted(order[:n])


# ---------------------------------------------------------------- loading the trained networks
def call_order(model, kinds):
    """The modules of the given kinds in the order forward() calls them (= ONNX node order)."""
    seen, hooks = [], []
    for m in model.modules():
        if isinstance(m, kinds):
            hooks.append(m.register_forward_hook(lambda mod, i, o: seen.append(mod)))
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    return seen


def load_bn_folded(model, path):
    """The CNN exports fold each BatchNorm into the Conv before it, so tfm.load_from_onnx (which
    reads named initializers) finds no BN weights. The folded Conv weights are taken in call
    order, and each BN becomes y = x + folded_bias (gamma 1, mean 0, var 1 - eps): the module then
    computes what the ONNX file computes, and FX's own Conv-BN fusion folds it back the same way."""
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    onnx_convs = [n for n in g.node if n.op_type == "Conv"]
    called = call_order(model, (torch.nn.Conv2d, torch.nn.BatchNorm2d))
    pairs = [(c, b) for c, b in zip(called, called[1:])
             if isinstance(c, torch.nn.Conv2d) and isinstance(b, torch.nn.BatchNorm2d)]
    if len(pairs) != len(onnx_convs) or len(pairs) != sum(isinstance(m, torch.nn.Conv2d) for m in called):
        raise ValueError(f"{path}: {len(onnx_convs)} Conv nodes, the module has {len(pairs)} Conv-BN pairs")
    with torch.no_grad():
        for (conv, bn), node in zip(pairs, onnx_convs):
            w, b = init[node.input[1]], init[node.input[2]]
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise ValueError(f"{path}: {node.name} weight {w.shape} vs module {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(w.copy()))
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b.copy()))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        # What is not a Conv or a BN (the head) is named in the file.
        for name, p in model.named_parameters():
            if name.startswith("head."):
                p.copy_(torch.from_numpy(init[name].copy()))
    return model


def load_trained(name):
    path = os.path.join(ROOT, "models", name + ".onnx")
    model = tfm.MODELS[name][0]()
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    model = load_bn_folded(model, path) if has_bn else tfm.load_from_onnx(model, path)
    return model.eval()


# ---------------------------------------------------------------- torch: FP32 and FX PTQ
def logits_of(model, x, batch=500):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def scores(out, y, ref=None):
    """top-1 against the labels and, against the FP32 logits, the SQNR over the whole test set
    and the top-1 agreement: the same definitions as `octet eval --metric sqnr|agreement`, so the
    torch and octet columns compare. The fidelity numbers separate real quantization error
    from the +-0.1 point noise of top-1 on 10,000 images."""
    r = {"top1": (out.argmax(1) == y).double().mean().item()}
    if ref is not None:
        noise = ((out.double() - ref.double()) ** 2).sum().item()
        r["sqnr_db"] = 10 * np.log10((ref.double() ** 2).sum().item() / noise) if noise else float("inf")
        r["agreement"] = (out.argmax(1) == ref.argmax(1)).double().mean().item()
    return r


def qconfig_mapping(backend):
    """The backend's default mapping. qnnpack's default has per-tensor weights; its per-channel
    variant, qnnpack-pc, runs onednn's default mapping (the same HistogramObserver activations,
    per-channel symmetric int8 weights) on the qnnpack engine, since the brief asks for
    per-channel weights where a backend has them."""
    from torch.ao.quantization import get_default_qconfig_mapping
    return get_default_qconfig_mapping("onednn" if backend == "qnnpack-pc" else backend)


def torch_ptq(name, backend, calib):
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    engine = "qnnpack" if backend == "qnnpack-pc" else backend
    if engine not in torch.backends.quantized.supported_engines:
        raise RuntimeError(f"engine '{engine}' is not in this torch build "
                           f"(has {', '.join(e for e in torch.backends.quantized.supported_engines if e != 'none')})")
    torch.backends.quantized.engine = engine
    model = load_trained(name)
    # Traced under no_grad: the ViT's attention takes its inference path (MatMul) there, as in the export.
    with torch.no_grad():
        prepared = prepare_fx(model, qconfig_mapping(backend), example_inputs=(calib[:1],))
        for i in range(0, len(calib), 50):
            prepared(calib[i:i + 50])
        return convert_fx(prepared)


def float_ops(q):
    """The ops FX left in FP32: it keeps ops it has no quantized kernel (or no qconfig) for in
    float between dequantize and quantize. An op runs in float when a tensor it reads comes from
    the input, a dequantize or another float op; worth reporting for the ViT."""
    modules = dict(q.named_modules())
    is_float, found = set(), []
    for node in q.graph.nodes:
        target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
        if node.op == "placeholder" or target == "dequantize":
            is_float.add(node)
            continue
        if node.op not in ("call_function", "call_method", "call_module") or target.startswith("quantize_per"):
            continue
        if node.op == "call_module" and ".quantized" in type(modules[node.target]).__module__:
            continue
        inputs = [a for a in node.all_input_nodes if a.op != "get_attr"]
        if any(a in is_float for a in inputs):
            is_float.add(node)
            if target not in ("getitem", "getattr", "size"):
                found.append(type(modules[node.target]).__name__ if node.op == "call_module" else target)
    return sorted(set(found)), len(found)


# ---------------------------------------------------------------- octet
def octet(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"octet {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


def octet_eval(binary, model, threads, *extra):
    out = octet(binary, "eval", model, "--data", "fashion-mnist:test", "--json", "--batch", "100",
                "--threads", str(threads), *extra)
    return json.loads(out.strip().splitlines()[-1])["value"]


def octet_scores(binary, model, threads, fp32=None):
    r = {"top1": octet_eval(binary, model, threads)}
    if fp32:
        r["sqnr_db"] = octet_eval(binary, model, threads, "--reference", fp32, "--metric", "sqnr")
        r["agreement"] = octet_eval(binary, model, threads, "--reference", fp32, "--metric", "agreement")
    return r


def octet_quantize(binary, model, out, threads, seed, *extra):
    report = out[:-5] + ".report.json"
    octet(binary, "quantize", model, "-o", out, "--data", "fashion-mnist:train", "--subset-size", str(CALIB_COUNT),
          "--seed", str(seed), "--threads", str(threads), "--report", report, *extra)
    with open(report) as f:
        return json.load(f)


def check_subset(binary, name, calib_np, work, threads, seed):
    """The calibration subset is shared, not just the same size: octet calibrated once on
    fashion-mnist:train --subset-size 300 and once on our 300 images written as .npy must give
    the same quantized model (the same scales and zero points)."""
    model = os.path.join(ROOT, "models", name + ".onnx")
    npy = os.path.join(work, "calib.npy")
    np.save(npy, calib_np)
    a, b = os.path.join(work, "subset_a.onnx"), os.path.join(work, "subset_b.onnx")
    octet_quantize(binary, model, a, threads, seed)
    octet(binary, "quantize", model, "-o", b, "--data", npy, "--subset-size", str(CALIB_COUNT), "--threads", str(threads))

    def qparams(path):
        g = onnx.load(path).graph
        return {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer
                if "scale" in t.name or "zero_point" in t.name}
    # Equal up to float rounding: the two data paths sum the statistics in a different order
    # (one ulp on the input scale); a different subset moves scales by percents.
    pa, pb = qparams(a), qparams(b)
    return len(pa) > 0 and pa.keys() == pb.keys() and all(np.allclose(pa[k], pb[k], rtol=1e-5, atol=0) for k in pa)


# ---------------------------------------------------------------- the run
def run_models(args, names, backends, seed, calib, manifest, test_x, test_t, results, work):
    """Every model on one calibration subset: FP32 scores, each torch backend, each octet preset."""
    models = {}
    for name in names:
        path = os.path.join(ROOT, "models", name + ".onnx")
        entry = {"manifest": manifest["models"][name]["accuracy_top1"], "torch": {}, "torch_errors": {}, "octet": {}}
        ref = logits_of(load_trained(name), test_x)
        entry["torch_fp32"] = scores(ref, test_t)["top1"]
        entry["octet_fp32"] = octet_eval(args.octet, path, args.threads)
        print(f"seed {seed}: {name}: FP32 manifest {pct(entry['manifest'])}, torch {pct(entry['torch_fp32'])}, "
              f"octet {pct(entry['octet_fp32'])}", flush=True)
        for backend in backends:
            try:
                q = torch_ptq(name, backend, calib)
                r = scores(logits_of(q, test_x), test_t, ref)
            except Exception as e:  # a backend that cannot quantize or run a model is a finding too
                text = str(e).strip()
                entry["torch_errors"][backend] = f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"
                print(f"seed {seed}: {name}: torch {backend}: {entry['torch_errors'][backend]}", flush=True)
                continue
            r["float_ops"], r["float_op_count"] = float_ops(q)
            entry["torch"][backend] = r
            if backend not in results["torch_backends"]:
                results["torch_backends"].append(backend)
            print(f"seed {seed}: {name}: torch {backend} top-1 {pct(r['top1'])}, SQNR {r['sqnr_db']:.1f} dB, agreement "
                  f"{pct(r['agreement'])}; {r['float_op_count']} ops left in FP32 ({', '.join(r['float_ops'])})",
                  flush=True)
        for preset in PRESETS:
            out = os.path.join(work, f"{name}_{preset}.onnx")
            report = octet_quantize(args.octet, path, out, args.threads, seed, "--preset", preset)
            r = octet_scores(args.octet, out, args.threads, path)
            layers = report.get("layers", [])
            r["layers_sqnr_db"] = {l["node"]: l.get("sqnr_db") for l in layers}
            r["fp32_layers"] = sorted(l["node"] for l in layers if not l.get("quantized", True))
            entry["octet"][preset] = r
            print(f"seed {seed}: {name}: octet {preset} top-1 {pct(r['top1'])}, SQNR {r['sqnr_db']:.1f} dB, agreement "
                  f"{pct(r['agreement'])}; {len(r['fp32_layers'])} of {len(layers)} layers left in FP32", flush=True)
        models[name] = entry
    return models


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def pct(v):
    return "n/a" if v is None else f"{v * 100:.2f}"


def columns(results):
    """(header, getter) for every quantized variant, torch's backends first."""
    cols = [(f"torch {b}", lambda m, b=b: m["torch"].get(b)) for b in results["torch_backends"]]
    cols += [(f"octet {p}", lambda m, p=p: m["octet"].get(p)) for p in PRESETS]
    return cols


def markdown(results):
    cols = columns(results)
    head = ["model", "FP32 manifest", "FP32 torch", "FP32 octet"] + [c for c, _ in cols]
    lines = ["Top-1 on the 10,000 test images, %:", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in results["models"].items():
        row = [name, pct(m["manifest"]), pct(m["torch_fp32"]), pct(m["octet_fp32"])]
        row += [pct(get(m)["top1"]) if get(m) else "failed" for _, get in cols]
        lines.append("| " + " | ".join(row) + " |")
    head = ["model"] + [c for c, _ in cols]
    lines += ["", "Fidelity to the FP32 network on the same images: logit SQNR in dB / top-1 agreement in %:", "",
              "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in results["models"].items():
        row = [name] + [f"{get(m)['sqnr_db']:.1f} / {pct(get(m)['agreement'])}" if get(m) else "failed"
                        for _, get in cols]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def seed_summary(results):
    """Mean and standard deviation over the calibration subsets of each variant's top-1 and SQNR."""
    runs = list(results["seeds"].values())
    cols = columns(results)
    head = ["model"] + [c for c, _ in cols]
    lines = [f"Mean +- standard deviation over {len(runs)} calibration subsets (seeds "
             f"{', '.join(str(k) for k in results['seeds'])}): top-1 % / logit SQNR dB", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in results["models"]:
        row = [name]
        for _, get in cols:
            got = [get(run[name]) for run in runs]
            if any(g is None for g in got):
                row.append("failed")
                continue
            top1 = np.array([g["top1"] * 100 for g in got])
            sqnr = np.array([g["sqnr_db"] for g in got])
            row.append(f"{top1.mean():.2f} +- {top1.std(ddof=1):.2f} / {sqnr.mean():.1f} +- {sqnr.std(ddof=1):.1f}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--octet", default=os.path.join(ROOT, "build", "octet"))
    ap.add_argument("--models", default=",".join(MODEL_NAMES))
    ap.add_argument("--threads", type=int, default=2, help="for torch and octet alike (the machine is shared)")
    ap.add_argument("--json", help="write every number here")
    ap.add_argument("--markdown", help="write the tables here")
    ap.add_argument("--seeds", default=str(CALIB_SEED), help="calibration subsets, one run each (e.g. 0,1,2,3,4)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]
    backends = args.backends.split(",")
    torch.set_num_threads(args.threads)
    start = time.time()

    with open(os.path.join(ROOT, "models", "manifest.json")) as f:
        manifest = json.load(f)
    pre = manifest["preprocess"]
    if abs(pre["scale"] - 1.0 / 255.0) > 1e-12 or len(pre["mean"]) != 1:
        sys.exit(f"manifest preprocessing {pre} is not the 1/255, one-channel one this script reproduces")
    mean, std = pre["mean"][0], pre["std"][0]
    train_u8, _ = tfm.load_split("train")
    test_u8, test_y = tfm.load_split("t10k")
    test_x = torch.from_numpy(tfm.preprocess(test_u8, mean, std))
    test_t = torch.from_numpy(test_y)
    indices = sample_indices(len(train_u8), CALIB_COUNT, seeds[0])
    calib_np = tfm.preprocess(train_u8[indices], mean, std)

    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "cpu": cpu_name(), "torch": torch.__version__, "threads": args.threads, "octet": args.octet,
               "calibration": {"count": CALIB_COUNT, "seed": seeds[0], "first_indices": indices[:8]},
               "torch_backends": [], "backend_errors": {}, "models": {}, "seeds": {}}
    work = tempfile.mkdtemp(prefix="octet_ptq_")  # quantized models and reports; removed at exit
    atexit.register(shutil.rmtree, work, True)
    names = args.models.split(",")
    results["calibration"]["same_as_octet"] = check_subset(args.octet, names[0], calib_np, work, args.threads, seeds[0])
    print(f"calibration: {CALIB_COUNT} training images, seed {seeds[0]}, first {indices[:8]}; "
          f"octet picks the same: {results['calibration']['same_as_octet']}", flush=True)

    for seed in seeds:
        calib = torch.from_numpy(tfm.preprocess(train_u8[sample_indices(len(train_u8), CALIB_COUNT, seed)], mean, std))
        results["seeds"][seed] = run_models(args, names, backends, seed, calib, manifest, test_x, test_t, results, work)
    results["models"] = results["seeds"][seeds[0]]
    # A backend that failed on every model is named once, with its reasons.
    for b in backends:
        if b not in results["torch_backends"]:
            errs = {m["torch_errors"].get(b) for m in results["models"].values()}
            results["backend_errors"][b] = " / ".join(sorted(e for e in errs if e))
    results["seconds"] = round(time.time() - start, 1)

    table = markdown(results)
    if len(seeds) > 1:
        table += f"\n\n(the two tables above: seed {seeds[0]})\n\n" + seed_summary(results)
    header = (f"{results['date']}, CPU {results['cpu']}, torch {results['torch']}, {args.threads} threads, "
              f"{results['seconds']} s")
    print()
    print(header)
    print(table)
    for b, e in results["backend_errors"].items():
        print(f"torch {b}: not run: {e}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + table + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    for name, m in results["models"].items():
        best_torch = max((r["top1"] for r in m["torch"].values()), default=None)
        best_octet = max(r["top1"] for r in m["octet"].values())
        if best_torch is not None and best_octet < best_torch:
            print(f"{name}: octet's best preset is {(best_torch - best_octet) * 100:.2f} points below torch's best backend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
