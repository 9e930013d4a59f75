#!/usr/bin/python3
"""PyTorch's own post-training static quantization on octet's Fashion-MNIST models: the baseline
octet's `quantize` must match or beat.

The trained networks exist as ONNX files (models/fmnist_*.onnx, BatchNorm already folded by the
export), so each is rebuilt as an nn.Module straight from its ONNX graph: Conv -> nn.Conv2d,
Gemm and MatMul by a constant -> nn.Linear, Relu -> nn.ReLU, LayerNormalization -> nn.LayerNorm,
the rest as the matching torch functions. FX graph mode quantization then does what a PyTorch
user would: prepare_fx with the backend's default qconfig mapping, calibrate on N training
images, convert_fx, and score top-1 on the 10,000 test images.

Run with Debian's torch (python3-torch 1.13; its quantized engines are onednn and qnnpack):
  /usr/bin/python3 scripts/torch_ptq_baseline.py [--models fmnist_resnet,...] [--backend onednn|qnnpack|all]
                                                  [--calib 300] [--seed 0] [--json OUT.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from train_fashion_models import load_split, preprocess  # noqa: E402  (the same data and preprocessing)


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(nn.Module):
    """An ONNX graph as an nn.Module whose forward FX can trace: the node list is walked in order,
    weights become parameters of real layers (so FX swaps them for quantized ones), other
    constants become buffers."""

    def __init__(self, model):
        super().__init__()
        g = model.graph
        self.inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input_name = g.input[0].name
        self.output_name = g.output[0].name
        self.steps = []
        self.const_names = {}
        for i, n in enumerate(g.node):
            a = attrs_of(n)
            key = f"n{i}"
            if n.op_type == "Conv":
                w = self.inits[n.input[1]]
                b = self.inits[n.input[2]] if len(n.input) > 2 and n.input[2] else None
                pads = a.get("pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise ValueError(f"{n.name}: asymmetric padding")
                conv = nn.Conv2d(w.shape[1] * a.get("group", 1), w.shape[0], tuple(w.shape[2:]),
                                 stride=tuple(a.get("strides", [1, 1])), padding=(pads[0], pads[1]),
                                 dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1), bias=b is not None)
                conv.weight.data.copy_(w)
                if b is not None:
                    conv.bias.data.copy_(b)
                self.add_module(key, conv)
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type in ("Gemm", "MatMul") and n.input[1] in self.inits:
                w = self.inits[n.input[1]]
                if n.op_type == "Gemm":
                    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                        raise ValueError(f"{n.name}: Gemm form not handled")
                    w = w if a.get("transB", 0) else w.t()
                    b = self.inits[n.input[2]] if len(n.input) > 2 and n.input[2] else None
                else:
                    w, b = w.t(), None
                lin = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
                lin.weight.data.copy_(w)
                if b is not None:
                    lin.bias.data.copy_(b.reshape(-1))
                self.add_module(key, lin)
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "Relu":
                self.add_module(key, nn.ReLU())
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "Clip":
                lo = self.const(n.input[1]) if len(n.input) > 1 and n.input[1] else a.get("min")
                hi = self.const(n.input[2]) if len(n.input) > 2 and n.input[2] else a.get("max")
                if float(lo) == 0.0 and float(hi) == 6.0:
                    self.add_module(key, nn.ReLU6())
                else:
                    self.add_module(key, nn.Hardtanh(float(lo), float(hi)))
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "LayerNormalization":
                w = self.inits[n.input[1]]
                ln = nn.LayerNorm(w.shape[0], eps=a.get("epsilon", 1e-5))
                ln.weight.data.copy_(w)
                ln.bias.data.copy_(self.inits[n.input[2]])
                self.add_module(key, ln)
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "GlobalAveragePool":
                self.add_module(key, nn.AdaptiveAvgPool2d(1))
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "Constant":
                self.inits[n.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            else:
                self.steps.append(("op", n.op_type, list(n.input), n.output[0], a))
        # Constants that functional ops read become buffers, so FX sees them as attributes.
        for step in self.steps:
            if step[0] == "op":
                for name in step[2]:
                    if name in self.inits and name not in self.const_names:
                        buf = f"c{len(self.const_names)}"
                        self.register_buffer(buf, self.inits[name])
                        self.const_names[name] = buf

    def const(self, name):
        return self.inits[name].item()

    def value_of(self, env, name):
        if name in env:
            return env[name]
        return getattr(self, self.const_names[name])

    def forward(self, x):
        env = {self.input_name: x}
        for step in self.steps:
            if step[0] == "module":
                _, key, ins, out = step
                env[out] = getattr(self, key)(env[ins[0]])
                continue
            _, op, ins, out, a = step
            v = [self.value_of(env, i) if i else None for i in ins]
            if op == "Add":
                r = v[0] + v[1]
            elif op == "Sub":
                r = v[0] - v[1]
            elif op == "Mul":
                r = v[0] * v[1]
            elif op == "Div":
                r = v[0] / v[1]
            elif op == "MatMul":
                r = torch.matmul(v[0], v[1])
            elif op == "Erf":
                r = torch.erf(v[0])
            elif op == "Softmax":
                r = F.softmax(v[0], dim=a.get("axis", -1))
            elif op == "Flatten":
                r = torch.flatten(v[0], a.get("axis", 1))
            elif op == "Reshape":
                shape = [int(d) for d in self.inits[ins[1]].tolist()]
                if 0 in shape:
                    raise ValueError("Reshape with a 0 dim is not handled")
                r = v[0].reshape(shape)
            elif op == "Transpose":
                r = v[0].permute(*a["perm"])
            elif op == "Gather":
                idx = int(self.inits[ins[1]].item())
                r = v[0].select(a.get("axis", 0), idx)
            elif op == "ReduceMean":
                r = v[0].mean(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
            elif op == "Squeeze":
                axes = a.get("axes") or self.inits[ins[1]].tolist()
                r = v[0]
                for ax in sorted(axes, reverse=True):
                    r = r.squeeze(ax)
            elif op == "Unsqueeze":
                axes = a.get("axes") or self.inits[ins[1]].tolist()
                r = v[0]
                for ax in sorted(axes):
                    r = r.unsqueeze(ax)
            elif op == "Concat":
                r = torch.cat(v, dim=a["axis"])
            elif op == "Identity":
                r = v[0]
            else:
                raise ValueError(f"op {op} is not handled")
            env[out] = r
        return env[self.output_name]


def top1(model, x, y, batch=500):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def ptq(module, backend, calib):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = backend
    mapping = get_default_qconfig_mapping(backend)
    prepared = prepare_fx(module, mapping, example_inputs=(calib[:1],))
    with torch.no_grad():
        for i in range(0, len(calib), 50):
            prepared(calib[i:i + 50])
    return convert_fx(prepared)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="fmnist_resnet,fmnist_mobilenet,fmnist_vit")
    ap.add_argument("--backend", default="all", help="onednn, qnnpack or all (Debian's torch has no fbgemm)")
    ap.add_argument("--calib", type=int, default=300, help="calibration images from the training set")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    backends = [b for b in ("onednn", "qnnpack") if b in torch.backends.quantized.supported_engines]
    if args.backend != "all":
        if args.backend not in torch.backends.quantized.supported_engines:
            sys.exit(f"backend {args.backend} is not in this torch build ({torch.backends.quantized.supported_engines})")
        backends = [args.backend]
    train_u8, _ = load_split("train")
    test_u8, test_y = load_split("t10k")
    results = {"torch": torch.__version__, "calibration_images": args.calib, "seed": args.seed, "models": {}}
    for name in args.models.split(","):
        path = os.path.join(ROOT, "models", name + ".onnx")
        model = onnx.load(path)
        meta = {p.key: p.value for p in model.metadata_props}
        pre = json.loads(meta["octet.preprocess"])
        mean, std = pre["mean"][0], pre["std"][0]
        test_x = torch.from_numpy(preprocess(test_u8, mean, std))
        ty = torch.from_numpy(test_y)
        rng = np.random.default_rng(args.seed)
        idx = np.sort(rng.choice(len(train_u8), size=args.calib, replace=False))
        calib = torch.from_numpy(preprocess(train_u8[idx], mean, std))
        module = OnnxModule(model).eval()
        fp32 = top1(module, test_x, ty)
        entry = {"fp32_top1": fp32, "int8_top1": {}, "seconds": {}}
        print(f"{name}: FP32 {fp32 * 100:.2f}%", flush=True)
        for backend in backends:
            start = time.time()
            try:
                q = ptq(OnnxModule(model).eval(), backend, calib)
                acc = top1(q, test_x, ty)
            except Exception as e:  # a backend that cannot run a model is a result too
                print(f"{name}: {backend} failed: {e}", flush=True)
                entry["int8_top1"][backend] = None
                continue
            entry["int8_top1"][backend] = acc
            entry["seconds"][backend] = round(time.time() - start, 1)
            print(f"{name}: {backend} INT8 {acc * 100:.2f}% ({(acc - fp32) * 100:+.2f} points)", flush=True)
        results["models"][name] = entry
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
