"""Model and CompiledModel: load (a path, bytes or an onnx.ModelProto), save, compile, run.

Arrays go in as numpy arrays (or anything numpy.asarray takes: lists, torch tensors) and are
copied once into octet's tensors; outputs come back as numpy arrays that own octet's buffer,
without a copy. A compiled model has fixed input shapes (batch 1 unless `shapes` says other).
"""
from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from . import _octet


class ValueInfo(NamedTuple):
    name: str
    dtype: str              # numpy's name: "float32", "int64", ...
    shape: list             # None for a dynamic or symbolic dim
    dim_params: list        # symbolic dim names ("" where none)


def _infos(raw) -> list[ValueInfo]:
    return [ValueInfo(*r) for r in raw]


class _InputsOutputs:
    """The inputs and outputs of the native object a Model or CompiledModel wraps."""
    _native: Any

    @property
    def inputs(self) -> list[ValueInfo]:
        return _infos(self._native.inputs)

    @property
    def outputs(self) -> list[ValueInfo]:
        return _infos(self._native.outputs)


class Model(_InputsOutputs):
    """A loaded ONNX model (or a quantized one: then `report` holds its quantization report)."""

    def __init__(self, native: _octet.Model, report=None):
        self._native = native
        self.report = report

    @property
    def path(self) -> str:
        """The file it was loaded from ("" when it came from bytes or was made by octet)."""
        return self._native.path

    def save(self, path: str | os.PathLike) -> None:
        """Writes standard ONNX, atomically (weights over 2 GB go to a .data file beside it)."""
        self._native.save(os.fspath(path))

    def to_bytes(self) -> bytes:
        """The serialized ModelProto: the same bytes save() writes."""
        return self._native.to_bytes()

    def to_onnx(self):
        """The model as an onnx.ModelProto (needs the onnx package; to_bytes() does not)."""
        try:
            import onnx
        except ImportError as e:
            raise ImportError("Model.to_onnx() needs the onnx package (Debian: python3-onnx); "
                              "Model.to_bytes() gives the serialized model without it") from e
        return onnx.load_model_from_string(self.to_bytes())

    def __repr__(self) -> str:
        ins = ", ".join(f"{i.name}: {i.dtype}{i.shape}" for i in self.inputs)
        return f"octet.Model({self.path or '(in memory)'}; inputs {ins})"


def load(model: Any) -> Model:
    """A Model from a file path, serialized bytes, an onnx.ModelProto, or a Model (returned as is)."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        return Model(_octet.Model.load(os.fspath(model)))
    if isinstance(model, (bytes, bytearray, memoryview)):
        return Model(_octet.Model.from_bytes(bytes(model), "(bytes)"))
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto, without importing onnx
        return Model(_octet.Model.from_bytes(model.SerializeToString(), "(onnx.ModelProto)"))
    raise TypeError(f"octet.load takes a path, bytes or an onnx.ModelProto, not {type(model).__name__}")


class CompiledModel(_InputsOutputs):
    """A model compiled for fixed input shapes: kernels chosen and weights packed once.

    compiled(inputs) / compiled.run(inputs): a dict by input name gives a dict by output
    name; a list (or one array) gives a list in output order. Safe to call from several
    threads (calls are serialized; compile one per thread to run them in parallel).
    """

    def __init__(self, native: _octet.CompiledModel, name: str = ""):
        self._native = native
        self._name = name

    @property
    def threads(self) -> int:
        return self._native.threads

    def run(self, inputs):
        if isinstance(inputs, dict):
            return self._native.run_named(inputs)
        if isinstance(inputs, (list, tuple)):
            return self._native.run(list(inputs))
        return self._native.run([inputs])

    __call__ = run

    def bench(self, iters: int = 20, warmup: int = 3, seed: int = 1, per_node: bool = False) -> dict:
        """Latency and throughput on seeded random inputs: the figures of `octet bench --json`."""
        return json.loads(self._native.bench(iters, warmup, seed, per_node, self._name or "(in memory)"))

    def kernels(self) -> list[dict]:
        """Which kernel runs each node, and in which dtype."""
        return self._native.kernels()


def compile(model: Any, threads: int | None = None, shapes: dict | None = None, batch: int | None = None,
            optimize: bool = True, verbose: bool = False) -> CompiledModel:
    """Compiles a model (a Model, or anything load() takes). threads None: every core.

    shapes fixes input shapes by name ({"input": [8, 1, 28, 28]}); batch sets dim 0 of every
    input whose dim 0 is open (default 1).
    """
    m = load(model)
    native = _octet.compile(m._native, threads or 0, shapes, batch or 0, optimize, verbose)
    return CompiledModel(native, m.path)
