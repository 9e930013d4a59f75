#!/usr/bin/python3
"""Inputs for the real-model corpus (docs/real-models.md), made at run time, never committed.

For one model of the corpus (scripts/fetch_models.sh) this writes into DIR:
  input/<file>.npy    one fixed random input per model input (seeded), for FP32 parity;
  calib/<file>.npy    COUNT calibration samples of the right kind, stacked on axis 0:
                      rendered images (gradients, rectangles, discs, line segments, a face-like
                      ellipse) for image models, noise plus tones for audio models, and for
                      models fed by another model of the corpus (openWakeWord's embedding model
                      and wake-word heads) that model's outputs on such audio;
  heldout/<file>.npy  one more sample of the same kind, not in calib (INT8 vs FP32 on it);
  meta.json           {"inputs": [{"name", "file", "shape"}], "score_files", "peak_files" (output
                      .npy names, see MODELS), "fp16"}.
What each model is fed is the MODELS table below; a model not in it is fed from its input
shapes alone (rank-4 with 3 or 4 channels: images; rank 2: audio; else normal noise).

  corpus_inputs.py MODEL.onnx DIR [--octet PATH] [--count N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

SAMPLE_RATE = 16000
# openWakeWord's front end: melspectrogram frames (scaled x/10 + 2), 76 per embedding window,
# a window every 8 frames; each head reads the last F embeddings.
MEL_WINDOW, MEL_STEP = 76, 8

# file name -> what the model reads. shapes: concrete shapes for open dims; values: integer
# inputs that select a code path and must keep their value (Silero's sample rate); range: the
# value range of image inputs; audio_scale: full scale of audio inputs; upstream: the corpus
# model whose outputs feed this one; score_outputs: detector score maps, compared INT8 vs FP32
# after thresholding; peak_outputs: maps masked by a float comparison (M-LSD keeps a score only
# where Equal(score, MaxPool(score)) holds), where a last-bit difference between two engines
# can move a peak: up to 1% of the peaks may differ.
HEADS = {name: {"upstream": "embedding_model.onnx"}
         for name in ("alexa_v0.1.onnx", "hey_jarvis_v0.1.onnx", "hey_mycroft_v0.1.onnx", "hey_rhasspy_v0.1.onnx",
                      "timer_v0.1.onnx", "weather_v0.1.onnx")}
MODELS = {
    # 1 s of 16 kHz audio, as int16-scaled floats (openWakeWord feeds raw PCM values).
    "melspectrogram.onnx": {"shapes": {"input": [1, SAMPLE_RATE]}, "audio_scale": 32767.0},
    "embedding_model.onnx": {"shapes": {"input_1": [1, MEL_WINDOW, 32, 1]}, "upstream": "melspectrogram.onnx"},
    # A 32 ms chunk at 16 kHz with a small recurrent state.
    "silero_vad.onnx": {"shapes": {"input": [1, 512], "h": [2, 1, 64], "c": [2, 1, 64]}, "values": {"sr": SAMPLE_RATE},
                        "audio_scale": 1.0},
    "face_detection_front_128x128_barracuda.onnx": {"range": [-1.0, 1.0], "score_outputs": ["Identity:0", "Identity_1:0"]},
    "face_detection_back_256x256_barracuda.onnx": {"range": [-1.0, 1.0], "score_outputs": ["Identity:0", "Identity_1:0"]},
    **{f"mlsd_{s}x{s}_{v}.onnx": {"range": [0.0, 255.0], "score_outputs": ["scores"], "peak_outputs": ["scores"]}
       for s in (320, 512) for v in ("tiny", "large")},
    **HEADS,
}

DTYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
          onnx.TensorProto.FLOAT16: np.float16}


def safe_name(name):
    """The file-name rule of `octet run`: keep [A-Za-z0-9._-], never hidden or empty."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "_" + s if not s or s.startswith(".") else s


def model_inputs(path, hints):
    model = onnx.load(path, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    inputs = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        t = value.type.tensor_type
        shape = hints.get("shapes", {}).get(value.name)
        if shape is None:
            shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
        inputs.append({"name": value.name, "file": safe_name(value.name) + ".npy", "shape": list(shape),
                       "dtype": DTYPES.get(t.elem_type, np.float32)})
    return inputs


def image_layout(shape):
    """(height, width, channels, channels_last) of an image input, or None."""
    if len(shape) != 4:
        return None
    if shape[3] in (3, 4):
        return shape[1], shape[2], shape[3], True
    if shape[1] in (3, 4):
        return shape[2], shape[3], shape[1], False
    return None


def render_image(rng, h, w, channels):
    """A scene in [0, 1]: gradient background, rectangles, discs, line segments, a face-like
    ellipse with two eyes, light noise. Alpha (a fourth channel) is opaque."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.random(3), rng.random(3)
    t = (xx / max(w - 1, 1) * rng.random() + yy / max(h - 1, 1) * rng.random()) / 2
    img = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    for _ in range(rng.integers(2, 6)):
        x0, x1 = sorted(rng.integers(0, w, 2))
        y0, y1 = sorted(rng.integers(0, h, 2))
        img[y0:y1 + 1, x0:x1 + 1] = rng.random(3)
    for _ in range(rng.integers(1, 4)):
        cx, cy, r = rng.random() * w, rng.random() * h, (0.05 + 0.2 * rng.random()) * min(h, w)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.random(3)
    for _ in range(rng.integers(3, 10)):
        (xa, ya), (xb, yb) = rng.random(2) * [w, h], rng.random(2) * [w, h]
        width = 1 + 3 * rng.random()
        dx, dy = xb - xa, yb - ya
        length2 = dx * dx + dy * dy + 1e-6
        u = np.clip(((xx - xa) * dx + (yy - ya) * dy) / length2, 0, 1)
        dist2 = (xx - xa - u * dx) ** 2 + (yy - ya - u * dy) ** 2
        img[dist2 < width * width / 4] = rng.random(3)
    cx, cy = (0.3 + 0.4 * rng.random()) * w, (0.3 + 0.4 * rng.random()) * h
    rx, ry = (0.1 + 0.15 * rng.random()) * w, (0.15 + 0.15 * rng.random()) * h
    img[((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1] = [0.85, 0.65, 0.5] + 0.1 * rng.random(3)
    for ex in (cx - rx * 0.4, cx + rx * 0.4):
        img[(xx - ex) ** 2 + (yy - (cy - ry * 0.2)) ** 2 < (rx * 0.12) ** 2] = 0.1
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1)
    if channels == 4:
        img = np.concatenate([img, np.ones((h, w, 1))], axis=2)
    return img[..., :channels].astype(np.float32)


def tone_audio(rng, samples):
    """Noise plus one to three tones under a slow envelope, in [-1, 1]."""
    t = np.arange(samples) / SAMPLE_RATE
    x = rng.normal(0, 0.05 + 0.1 * rng.random(), samples)
    for _ in range(rng.integers(1, 4)):
        x += (0.1 + 0.3 * rng.random()) * np.sin(2 * np.pi * (100 + 3000 * rng.random()) * t + 6.3 * rng.random())
    x *= 0.5 + 0.5 * np.sin(2 * np.pi * (0.5 + 2 * rng.random()) * t + 6.3 * rng.random()) ** 2
    return np.clip(x, -1, 1).astype(np.float32)


def run_octet(octet, model, feeds):
    """Outputs of `octet run` (name -> array) on feeds (name -> array)."""
    with tempfile.TemporaryDirectory(prefix="corpus-inputs-") as tmp:
        args = [octet, "run", model, "--output-dir", os.path.join(tmp, "out")]
        for name, array in feeds.items():
            f = os.path.join(tmp, safe_name(name) + ".npy")
            np.save(f, array)
            args += ["--input", f"{name}={f}"]
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"corpus_inputs: {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        out = os.path.join(tmp, "out")
        return {f[:-4]: np.load(os.path.join(out, f)) for f in os.listdir(out)}


def mel_frames(rng, octet, folder, count, frames):
    """count arrays [frames, 32] of openWakeWord mel features of tone audio."""
    model = os.path.join(folder, "melspectrogram.onnx")
    samples = (frames + 3) * 160 + 400
    audio = np.stack([tone_audio(rng, samples) * 32767.0 for _ in range(count)])
    spec = next(iter(run_octet(octet, model, {"input": audio}).values()))  # [count, 1, T, 32]
    spec = spec.reshape(count, -1, 32) / 10.0 + 2.0
    if spec.shape[1] < frames:
        sys.exit(f"corpus_inputs: {model} gave {spec.shape[1]} frames, {frames} wanted")
    return spec[:, :frames].astype(np.float32)


def embeddings(rng, octet, folder, count, n):
    """count arrays [n, 96]: openWakeWord embeddings of n consecutive windows of tone audio."""
    mel = mel_frames(rng, octet, folder, count, MEL_WINDOW + MEL_STEP * (n - 1))
    windows = np.stack([m[i * MEL_STEP:i * MEL_STEP + MEL_WINDOW] for m in mel for i in range(n)])[..., None]
    out = next(iter(run_octet(octet, os.path.join(folder, "embedding_model.onnx"), {"input_1": windows}).values()))
    return out.reshape(count, n, 96).astype(np.float32)


def samples(rng, hints, inp, count, octet, folder):
    """count samples of the right kind for one input, stacked on axis 0 (each of inp's shape)."""
    shape, name = inp["shape"], inp["name"]
    if name in hints.get("values", {}):
        return np.full([count] + shape[1:] if shape else [count], hints["values"][name], inp["dtype"])
    upstream = hints.get("upstream")
    if upstream == "melspectrogram.onnx":
        return mel_frames(rng, octet, folder, count, shape[1])[..., None]
    if upstream == "embedding_model.onnx":
        return embeddings(rng, octet, folder, count, shape[1])
    image = image_layout(shape)
    if image:
        h, w, c, last = image
        lo, hi = hints.get("range", [0.0, 1.0])
        imgs = np.stack([render_image(rng, h, w, c) for _ in range(count)]) * (hi - lo) + lo
        return (imgs if last else imgs.transpose(0, 3, 1, 2)).astype(np.float32)
    if len(shape) == 2 and name not in ("h", "c"):
        scale = hints.get("audio_scale", 1.0)
        return np.stack([tone_audio(rng, shape[1]) * scale for _ in range(count)]).astype(np.float32)
    # A recurrent state or a feature vector: small normal noise, never all zeros. A leading dim
    # other than 1 is no batch (Silero's state is [2, batch, 64]): whole inputs on axis 0.
    if not shape:
        return rng.normal(0, 0.1, [count]).astype(np.float32)
    return rng.normal(0, 0.1, [count] + (shape if shape[0] != 1 else shape[1:])).astype(np.float32)


def random_input(rng, hints, inp):
    """A fixed random input: uniform over the input's value range (image range, audio scale)."""
    shape, name = inp["shape"], inp["name"]
    if name in hints.get("values", {}):
        return np.array(hints["values"][name], dtype=inp["dtype"]).reshape(shape)
    if image_layout(shape):
        lo, hi = hints.get("range", [0.0, 1.0])
    else:
        lo, hi = -hints.get("audio_scale", 1.0), hints.get("audio_scale", 1.0)
    return rng.uniform(lo, hi, shape).astype(inp["dtype"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("dir")
    parser.add_argument("--octet", default=os.path.join(os.path.dirname(__file__), "..", "build", "octet"))
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()
    hints = MODELS.get(os.path.basename(args.model), {})
    folder = os.path.dirname(os.path.abspath(args.model))
    inputs = model_inputs(args.model, hints)
    for sub in ("input", "calib", "heldout"):
        os.makedirs(os.path.join(args.dir, sub), exist_ok=True)
    for k, inp in enumerate(inputs):
        rng = np.random.default_rng(1000 + k)
        np.save(os.path.join(args.dir, "input", inp["file"]), random_input(rng, hints, inp))
        both = samples(np.random.default_rng(2000 + k), hints, inp, args.count + 1, args.octet, folder)
        per = len(both) // (args.count + 1)
        np.save(os.path.join(args.dir, "calib", inp["file"]), both[:per * args.count])
        np.save(os.path.join(args.dir, "heldout", inp["file"]), both[per * args.count:].reshape(inp["shape"]))
    model = onnx.load(args.model, load_external_data=False)
    meta = {"inputs": [{"name": i["name"], "file": i["file"], "shape": i["shape"]} for i in inputs],
            "score_files": [safe_name(s) + ".npy" for s in hints.get("score_outputs", [])],
            "peak_files": [safe_name(s) + ".npy" for s in hints.get("peak_outputs", [])],
            "fp16": any(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer)}
    with open(os.path.join(args.dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
