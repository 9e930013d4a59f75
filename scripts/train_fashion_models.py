#!/usr/bin/python3
"""Trains octet's three Fashion-MNIST test models and exports them to ONNX under models/.

The models are the project's own accuracy fixtures: a small ResNet, a MobileNetV2-style net
and a small vision transformer. Their FP32 test accuracy, computed here by PyTorch on the
10,000 test images, goes to models/manifest.json; `octet eval` must reproduce it. The
preprocessing (scale 1/255, then mean/std of the training images) is recorded both in the
manifest and in each ONNX file's metadata_props under "octet.preprocess".

Run with Debian's torch (python3-torch 1.13):
  /usr/bin/python3 scripts/train_fashion_models.py [--only NAME] [--epochs NAME=E] [--threads N]
  (the three models can train in parallel: one process per --only NAME)
  /usr/bin/python3 scripts/train_fashion_models.py --write-npy DIR --count N   (test subset)
  /usr/bin/python3 scripts/train_fashion_models.py --reexport [--only NAME]   (export again, no training)
"""
import argparse
import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "models")
SEED = 20240601


# ---------------------------------------------------------------- data
def read_idx(path):
    """IDX file (gzip) -> numpy array; checks the magic and the sizes it declares."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def load_split(split):
    images = read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def preprocess(images_u8, mean, std):
    """uint8 [N,28,28] -> float32 [N,1,28,28]: x/255, then (x-mean)/std, in float32 as octet does."""
    x = images_u8.astype(np.float32)[:, None, :, :] * np.float32(1.0 / 255.0)
    return (x - np.float32(mean)) / np.float32(std)


# ---------------------------------------------------------------- models
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + s)


class ResNet(nn.Module):
    """Stem 16 channels, stages 16-32-64 of one basic block each, GAP, linear head."""

    def __init__(self, widths=(16, 32, 64), blocks=(1, 1, 1), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_residual = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_residual else y


class MobileNet(nn.Module):
    """MobileNetV2-style: (cout, stride, expand) per inverted-residual block, 1x1 to 256, GAP, linear.
    The stride-2 stem keeps training affordable on two cores (depthwise convs at 28x28 are slow)."""

    def __init__(self, classes=10):
        super().__init__()
        cfg = [(16, 1, 1), (24, 2, 4), (24, 1, 4), (32, 2, 4), (32, 1, 4), (48, 1, 4), (48, 1, 4)]
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        layers, cin = [], 16
        for cout, stride, expand in cfg:
            layers.append(InvertedResidual(cin, cout, stride, expand))
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.last = nn.Sequential(nn.Conv2d(cin, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU6())
        self.head = nn.Linear(256, classes)

    def forward(self, x):
        x = self.last(self.layers(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


class TokenLinear(nn.Linear):
    """nn.Linear over tokens [B, N, K]. While training it runs as a 1x1 convolution over a
    channels-last [B, K, N, 1] view of the same memory (oneDNN), many times faster than this
    torch build's generic BLAS (torch uses oneDNN for 1x1 convs only with a batch >= 16 or
    several threads, hence the token-batch layout); in eval mode, and so in the ONNX export,
    it is the plain MatMul + Add. Same weights, same maths."""

    def forward(self, x):
        if not self.training:
            return F.linear(x, self.weight, self.bias)
        b, n, k = x.shape
        x4 = x.reshape(b, n, 1, k).permute(0, 3, 1, 2)
        y = F.conv2d(x4, self.weight[:, :, None, None], self.bias)
        return y.permute(0, 2, 3, 1).reshape(b, n, -1)


def batched_matmul(a, b):
    """a @ b for small attention matrices. Training uses broadcast-multiply-and-sum, which
    vectorizes, where this torch build's generic BLAS loops over every tiny matrix; eval (and
    so the export) uses MatMul."""
    if torch.is_grad_enabled():
        return (a.unsqueeze(-1) * b.unsqueeze(-3)).sum(-2)
    return a @ b


class Attention(nn.Module):
    # Written by hand (not nn.MultiheadAttention) so the export is plain MatMul/Softmax with
    # constant reshape targets: no Shape/Gather chains for the engine to fold.
    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.heads, self.tokens, self.head_dim = heads, tokens, dim // heads
        self.qkv = TokenLinear(dim, 3 * dim)
        self.proj = TokenLinear(dim, dim)
        self.scale = self.head_dim ** -0.5

    def forward(self, x):
        qkv = self.qkv(x).reshape(-1, self.tokens, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(batched_matmul(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        y = batched_matmul(a, v).transpose(1, 2).reshape(-1, self.tokens, self.heads * self.head_dim)
        return self.proj(y)


class EncoderLayer(nn.Module):
    def __init__(self, dim, heads, tokens, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, tokens)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(TokenLinear(dim, mlp), nn.GELU(), TokenLinear(mlp, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """Patch-7 conv embedding (16 tokens), learned positions, pre-norm encoder, mean pooling.
    Patch 7 rather than 4: a third of the cost, which is what two shared cores can train."""

    def __init__(self, dim=64, heads=4, depth=4, patch=7, mlp=128, classes=10):
        super().__init__()
        self.tokens = (28 // patch) ** 2
        self.embed = nn.Conv2d(1, dim, patch, patch)
        self.pos = nn.Parameter(torch.zeros(1, self.tokens, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.layers = nn.Sequential(*[EncoderLayer(dim, heads, self.tokens, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        x = self.norm(self.layers(x))
        return self.head(x.mean(dim=1))


# name -> (constructor, epochs, peak learning rate, weight decay, ONNX opset, required accuracy)
MODELS = {
    "fmnist_resnet": (lambda: ResNet(), 4, 3e-3, 1e-4, 13, 0.91),
    "fmnist_mobilenet": (lambda: MobileNet(), 5, 3e-3, 1e-4, 13, 0.89),
    # LayerNormalization is one ONNX op only from opset 17 on.
    "fmnist_vit": (lambda: ViT(), 10, 2e-3, 5e-2, 17, 0.86),
}
# Convolutions train 3-5x faster in channels-last on this CPU (oneDNN), the maths is the same.
CHANNELS_LAST = {"fmnist_resnet", "fmnist_mobilenet"}


# ---------------------------------------------------------------- training
def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train(name, epochs, lr, wd, train_x, train_y, test_x, test_y, log):
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    model = MODELS[name][0]()
    params = sum(p.numel() for p in model.parameters())
    memory_format = torch.channels_last if name in CHANNELS_LAST else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    batch = 128
    steps = epochs * ((len(train_x) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    gen = torch.Generator().manual_seed(SEED)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        total_loss = 0.0
        for i in range(0, len(train_x), batch):
            idx = order[i:i + batch]
            xb, yb = train_x[idx], train_y[idx]
            # The one augmentation: a random horizontal flip of half the batch (garments are
            # left-right symmetric); cheap, and enough to curb overfitting in a few epochs.
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb).contiguous(memory_format=memory_format)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(idx)
            if (i // batch) % 100 == 99:
                log(f"{name}: epoch {epoch + 1} batch {i // batch + 1} loss {loss.item():.4f} ({time.time() - start:.0f} s)")
        # A 2,000-image look at the test set for the log; the full 10,000 are scored once at the end.
        acc = evaluate(model, test_x[:2000], test_y[:2000])
        log(f"{name}: epoch {epoch + 1}/{epochs} loss {total_loss / len(train_x):.4f} "
            f"test[:2000] {acc * 100:.2f}% ({time.time() - start:.0f} s)")
    return model, params, time.time() - start


def export(model, name, opset, preprocess_meta, path):
    import onnx
    model = model.to(memory_format=torch.contiguous_format).eval()
    dummy = torch.zeros(1, 1, 28, 28)
    tmp = path + ".tmp"
    # Under no_grad, as inference is: batched_matmul then exports attention as MatMul (with
    # grad enabled it takes its training path, broadcast-multiply-and-sum).
    with torch.no_grad():
        torch.onnx.export(model, dummy, tmp, opset_version=opset, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    m = onnx.load(tmp)
    entry = m.metadata_props.add()
    entry.key = "octet.preprocess"
    entry.value = json.dumps(preprocess_meta, sort_keys=True)
    m.producer_name = "octet scripts/train_fashion_models.py"
    onnx.checker.check_model(m)
    onnx.save(m, tmp)
    os.replace(tmp, path)


def load_from_onnx(model, path):
    """Loads the weights of an exported model back into `model`, for re-exporting a trained
    model without training it again. Named initializers map to the state_dict directly; the
    export folds each Linear's transposed weight into an anonymous MatMul initializer, found
    through the bias Add that follows it."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            init[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    producer = {o: n for n in g.node for o in n.output}
    state = {}
    for n in g.node:
        if n.op_type != "Add":
            continue
        bias = next((i for i in n.input if i.endswith(".bias") and i in init), None)
        matmul = next((producer.get(i) for i in n.input if i != bias), None)
        if bias and matmul is not None and matmul.op_type == "MatMul" and matmul.input[1] in init:
            state[bias[:-len(".bias")] + ".weight"] = torch.from_numpy(init[matmul.input[1]].T.copy())
    for key in model.state_dict():
        if key in init:
            state[key] = torch.from_numpy(init[key].copy())
    missing = set(model.state_dict()) - set(state)
    if missing:
        raise ValueError(f"{path}: no weights found for {sorted(missing)}")
    model.load_state_dict(state)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", help="train only this model (repeatable)")
    ap.add_argument("--epochs", action="append", default=[], help="NAME=E overrides the epoch count")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=MODELS_DIR)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only (smoke runs)")
    ap.add_argument("--write-npy", metavar="DIR", help="write preprocessed test images/labels as .npy and exit")
    ap.add_argument("--count", type=int, default=10000, help="with --write-npy: the first N test images")
    ap.add_argument("--reexport", action="store_true",
                    help="re-export the trained models in --out with the current export code (no training)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    train_u8, train_y = load_split("train")
    test_u8, test_y = load_split("t10k")
    # Normalization constants of the training images, rounded so they are easy to quote.
    mean = round(float(train_u8.mean() / 255.0), 4)
    std = round(float(train_u8.std() / 255.0), 4)
    meta = {"scale": 1.0 / 255.0, "mean": [mean], "std": [std], "layout": "NCHW", "color": "gray",
            "dataset": "fashion-mnist"}

    if args.write_npy:
        os.makedirs(args.write_npy, exist_ok=True)
        n = min(args.count, len(test_u8))
        np.save(os.path.join(args.write_npy, "images.npy"), preprocess(test_u8[:n], mean, std))
        np.save(os.path.join(args.write_npy, "labels.npy"), test_y[:n])
        return

    if args.reexport:
        ex = torch.from_numpy(preprocess(test_u8, mean, std))
        ey = torch.from_numpy(test_y)
        for name, (make, _, _, _, opset, _) in MODELS.items():
            if args.only and name not in args.only:
                continue
            path = os.path.join(args.out, name + ".onnx")
            model = load_from_onnx(make(), path)
            print(f"{name}: re-exported, FP32 test accuracy {evaluate(model, ex, ey) * 100:.2f}%", flush=True)
            export(model, name, opset, meta, path)
        return

    if args.limit:
        train_u8, train_y = train_u8[:args.limit], train_y[:args.limit]
    tx = torch.from_numpy(preprocess(train_u8, mean, std))
    ty = torch.from_numpy(train_y)
    ex = torch.from_numpy(preprocess(test_u8, mean, std))
    ey = torch.from_numpy(test_y)
    epochs = {k: int(v) for k, v in (e.split("=") for e in args.epochs)}

    manifest_path = os.path.join(args.out, "manifest.json")
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    for name, (_, default_epochs, lr, wd, opset, required) in MODELS.items():
        if args.only and name not in args.only:
            continue
        e = epochs.get(name, default_epochs)
        model, params, seconds = train(name, e, lr, wd, tx, ty, ex, ey, log)
        acc = evaluate(model, ex, ey)
        path = os.path.join(args.out, name + ".onnx")
        export(model, name, opset, meta, path)
        log(f"{name}: FP32 test accuracy {acc * 100:.2f}% (required {required * 100:.0f}%), "
            f"{params} parameters, {seconds:.0f} s")
        if acc < required:
            log(f"{name}: WARNING below the required accuracy")
        # Re-read just before writing: the models may be trained by separate processes
        # (--only NAME each), and each must keep the others' entries.
        manifest = {"models": {}}
        if os.path.exists(manifest_path):
            with open(manifest_path) as f:
                manifest = json.load(f)
        manifest["models"][name] = {
            "file": name + ".onnx", "accuracy_top1": acc, "test_samples": len(ex), "epochs": e, "seed": SEED,
            "train_seconds": round(seconds, 1), "parameters": params, "opset": opset, "batch_size": 128,
            "optimizer": f"AdamW lr {lr} wd {wd}, one-cycle", "augmentation": "random horizontal flip",
            "torch": torch.__version__, "threads": args.threads, "machine": platform.machine(),
        }
        manifest["dataset"] = {"name": "fashion-mnist", "train": DATA_DIR + "/train-*-ubyte.gz",
                               "test": DATA_DIR + "/t10k-*-ubyte.gz"}
        manifest["preprocess"] = meta
        tmp = manifest_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, manifest_path)


if __name__ == "__main__":
    sys.exit(main())
