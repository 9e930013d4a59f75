#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/ (the build folder, at run
time, so that nothing large is committed): the ONNX node-test models and models/*.onnx, small
.npy files from numpy itself, IDX files (plain and gzip), PNG/JPEG/BMP/PGM images from PIL,
single-node models for node_eval at integer and attribute edges, and the committed seeds of
fuzz/seeds/. Usage: make_seeds.py OUT"""
import glob
import gzip
import io
import os
import shutil
import struct
import sys

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def put(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def onnx_seeds(out):
    for path in sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")):
        name = os.path.basename(os.path.dirname(path))
        with open(path, "rb") as f:
            put(out, "onnx_loader", name + ".onnx", f.read())
    for path in sorted(glob.glob(os.path.join(root, "models", "*.onnx"))):
        with open(path, "rb") as f:
            put(out, "onnx_loader", os.path.basename(path), f.read())


def npy_seeds(out):
    arrays = {
        "f32_2x3": np.arange(6, dtype="<f4").reshape(2, 3),
        "f64_scalar": np.array(3.5, dtype="<f8"),
        "f16_4": np.ones(4, dtype="<f2"),
        "u8_1x1x4x4": np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4),
        "i8_3": np.array([-128, 0, 127], dtype=np.int8),
        "i16_2": np.array([-1, 1], dtype="<i2"),
        "u16_2": np.array([1, 65535], dtype="<u2"),
        "i32_2x2": np.array([[1, -2], [3, 4]], dtype="<i4"),
        "i64_empty": np.zeros((0, 3), dtype="<i8"),
        "bool_3": np.array([True, False, True]),
    }
    for name, a in arrays.items():
        buf = io.BytesIO()
        np.save(buf, a)
        put(out, "npy", name + ".npy", buf.getvalue())
    # Format version 2 (4-byte header length), written by hand.
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.arange(3, dtype="<f4"), version=(2, 0))
    put(out, "npy", "v2_f32_3.npy", buf.getvalue())


def idx_bytes(code, dtype, a):
    header = bytes([0, 0, code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return header + a.astype(np.dtype(dtype).newbyteorder(">")).tobytes()


def idx_seeds(out):
    images = (np.arange(2 * 4 * 4) % 256).astype(np.uint8).reshape(2, 4, 4)
    put(out, "idx", "u8_images.idx", idx_bytes(0x08, np.uint8, images))
    put(out, "idx", "u8_images.idx.gz", gzip.compress(idx_bytes(0x08, np.uint8, images)))
    put(out, "idx", "u8_labels.idx", idx_bytes(0x08, np.uint8, np.array([3, 7], dtype=np.uint8)))
    put(out, "idx", "i8.idx", idx_bytes(0x09, np.int8, np.array([-1, 2, -3], dtype=np.int8)))
    put(out, "idx", "i16.idx", idx_bytes(0x0B, np.int16, np.array([[1, -2]], dtype=np.int16)))
    put(out, "idx", "i32.idx", idx_bytes(0x0C, np.int32, np.array([70000], dtype=np.int32)))
    put(out, "idx", "f32.idx", idx_bytes(0x0D, np.float32, np.array([0.5, -1], dtype=np.float32)))
    put(out, "idx", "f64.idx.gz", gzip.compress(idx_bytes(0x0E, np.float64, np.array([2.0]))))
    # The real thing: the first bytes of Fashion-MNIST's label file when installed.
    labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
    if os.path.exists(labels):
        with open(labels, "rb") as f:
            put(out, "idx", "fashion_t10k_labels.idx.gz", f.read())


def image_seeds(out):
    rgb = Image.fromarray((np.arange(5 * 7 * 3) * 7 % 256).astype(np.uint8).reshape(5, 7, 3))
    gray = rgb.convert("L")
    rgba = rgb.convert("RGBA")
    encodings = [("rgb.png", rgb, "PNG"), ("gray.png", gray, "PNG"), ("rgba.png", rgba, "PNG"),
                 ("rgb.jpg", rgb, "JPEG"), ("gray.jpg", gray, "JPEG"), ("rgb.bmp", rgb, "BMP"),
                 ("gray.pgm", gray, "PPM"), ("rgb.ppm", rgb, "PPM"), ("rgb.tif", rgb, "TIFF")]
    for name, img, fmt in encodings:
        buf = io.BytesIO()
        img.save(buf, fmt)
        # The first byte picks the preprocessing (see fuzz/image_fuzz.cpp): a few of them.
        for mode in (0x00, 0x05, 0x1E, 0xEF):
            put(out, "image", "%02x_%s" % (mode, name), bytes([mode]) + buf.getvalue())


# fuzz/node_eval_fuzz.cpp: byte 0 picks the op (index into kOps), byte 1 the dtype (kDtypes),
# then n, the image height and width, then the op's attributes and element values.
NODE_OPS = ["Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min", "PRelu", "Abs", "Neg", "Sign", "Relu", "Cast",
            "Range", "CumSum", "ReduceSum", "ReduceProd", "ReduceMean", "ReduceL1", "ReduceL2", "ReduceSumSquare",
            "ReduceLogSum", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "Pad", "Resize", "TopK"]
NODE_DTYPES = ["i1", "u1", "<i2", "<u2", "<i4", "<i8", "<f4", "<f8"]


def node_seed(op, dtype, *parts):
    head = bytes([NODE_OPS.index(op), NODE_DTYPES.index(dtype)])
    return head + b"".join(p if isinstance(p, bytes) else bytes(p) for p in parts)


def node_eval_seeds(out):
    def arr(dtype, values):
        return np.array(values).astype(dtype).tobytes()  # wraps -1 into unsigned types on purpose
    seeds = {}
    for dt in NODE_DTYPES[:6]:
        info = np.iinfo(np.dtype(dt))
        n = [3, 0, 0]  # n = 4 elements, a 1x1 image
        vals = arr(dt, [info.min, info.max, 7, 0])
        for op in ["Add", "Sub", "Mul", "Div", "Mod", "Pow", "PRelu"]:
            seeds["%s_%s_edges" % (op, dt.strip("<"))] = node_seed(op, dt, n, vals, [0], arr(dt, [-1, -1, 3, 2]))
            seeds["%s_%s_zero" % (op, dt.strip("<"))] = node_seed(op, dt, n, vals, [0], arr(dt, [1, 2, 0, 1]))
        for op in ["Abs", "Neg", "CumSum", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceSumSquare"]:
            seeds["%s_%s_edges" % (op, dt.strip("<"))] = node_seed(op, dt, n, vals * 3, [0, 0])
        seeds["Range_%s" % dt.strip("<")] = node_seed("Range", dt, n, arr(dt, [info.min, info.max, 1]))
    specials = arr("<f4", [np.nan, np.inf, -np.inf, 3e9])
    for to in (2, 3, 5, 6, 7, 9):
        seeds["Cast_specials_to_%d" % to] = node_seed("Cast", "<f4", [3, 0, 0], [1], [to - 1], specials)
    for op in ["Conv", "MaxPool", "AveragePool", "ConvTranspose"]:
        # 4x4 image, 2x2 kernel: pads of 2 (as large as the kernel), stride 0, dilation -1.
        seeds[op + "_pads"] = node_seed(op, "<f4", [0, 3, 3], [0] * 16 * 4, [1, 1], [1, 2, 2], [1, 1, 1],
                                        [1, 1, 1], [1, 2, 2, 2, 2], [0], [0])
        seeds[op + "_strides0"] = node_seed(op, "<f4", [0, 3, 3], [0] * 64, [1, 1], [1, 2, 2], [1, 0, 1])
    seeds["Pad_reflect"] = node_seed("Pad", "<f4", [3, 0, 0], [0] * 16, [0, 8, 0, 0], [1])
    seeds["Resize_scales"] = node_seed("Resize", "<f4", [0, 1, 1], [0] * 16, [1], arr("<f4", [1, 1, np.nan, 1e30]))
    seeds["Resize_sizes0"] = node_seed("Resize", "<f4", [0, 1, 1], [0] * 16, [0], [1, 1, 0, 0])
    seeds["TopK_negative"] = node_seed("TopK", "<f4", [3, 0, 0], [0] * 16, [0xFF])
    for name, data in seeds.items():
        put(out, "node_eval", name, data)


def committed_seeds(out):
    for path in glob.glob(os.path.join(here, "seeds", "*", "*")):
        target = os.path.basename(os.path.dirname(path))
        os.makedirs(os.path.join(out, target), exist_ok=True)
        shutil.copy(path, os.path.join(out, target, "committed_" + os.path.basename(path)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    onnx_seeds(out)
    npy_seeds(out)
    idx_seeds(out)
    image_seeds(out)
    node_eval_seeds(out)
    committed_seeds(out)


if __name__ == "__main__":
    main()
