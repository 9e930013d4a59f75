"""The quantization settings of the Python API: string-valued enums (plain strings work
wherever they are taken), the ignored scope, and nested parameter objects for the advanced
knobs, in NNCF's shape. Names are checked by octet's one table of each enum, so a typo fails
with the accepted names listed."""
from __future__ import annotations

import dataclasses
import os
from enum import Enum
from typing import Any

from . import _octet


class QuantizationPreset(str, Enum):
    PERFORMANCE = "performance"  # symmetric int8 weights and activations
    MIXED = "mixed"              # symmetric weights, asymmetric uint8 activations


class ModelType(str, Enum):
    CNN = "cnn"
    TRANSFORMER = "transformer"  # the residual stream stays FP32 (LayerNorm, Softmax, attention products always do)


class DropType(str, Enum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class TargetDevice(str, Enum):
    OCTET = "octet"  # octet's CPU engine; its QDQ files run in ONNX Runtime too
    ANY = "any"
    CPU = "cpu"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


@dataclasses.dataclass
class IgnoredScope:
    """Nodes kept in FP32: exact names, glob patterns ('head*', '?' and '*'; not regular
    expressions) and op types. validate: an entry that matches nothing is an error."""
    names: list[str] = dataclasses.field(default_factory=list)
    patterns: list[str] = dataclasses.field(default_factory=list)
    types: list[str] = dataclasses.field(default_factory=list)
    validate: bool = True

    def entries(self) -> list[str]:
        return [*self.names, *self.patterns, *self.types]


@dataclasses.dataclass
class AdvancedParameters:
    """The knobs beyond quantize()'s arguments; None leaves octet's default (or the config's)."""
    activations_range: str | None = None      # default, min_max, mean_min_max, quantile, mse, kl
    weights_range: str | None = None          # max or mse (per output channel)
    bias_correction: str | None = None        # fast, full or none (wins over fast_bias_correction)
    bias_correction_threshold: float | None = None
    full_bias_correction_subset: int | None = None
    saturation_fix: str | None = None         # auto, detect, no, first_layer, all
    placement: str | None = None              # measured (INT8 only where it pays here) or all
    statistics_path: str | None = None        # reused when it matches the model and data, else written
    report_subset_size: int | None = None     # samples for the per-layer SQNR; 0 skips it
    histogram_bins: int | None = None
    shapes: dict | None = None                # fixes dynamic input dims by name
    threads: int | None = None                # None: every core
    progress: bool | None = None              # None: a progress bar when stderr is a terminal
    verbose: bool | None = None


@dataclasses.dataclass
class AccuracyControlParameters:
    """The accuracy-aware search's settings (POT's AccuracyAwareQuantization)."""
    ranking_subset_size: int | None = None    # samples that degraded most, used to rank layers (300)
    max_iters: int | None = None              # 0: until nothing is left to revert
    tune_hyperparams: bool | None = None      # try other range estimators before reverting a layer
    use_prev_if_drop_increase: bool | None = None
    requantize: bool | None = None            # give reverted layers back INT8 where the bound still holds
    speed: str | None = None                  # auto, profile or macs
    eval_batch: int | None = None             # batch of octet's own evaluation runs (32)


def _fields(params: Any, cls: type, what: str) -> dict:
    """Set fields of a parameter object (or a dict with the same keys) as a plain dict."""
    if params is None:
        return {}
    if isinstance(params, dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise _octet.Error(f"{what}: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})")
        params = cls(**params)
    if not isinstance(params, cls):
        raise TypeError(f"{what} must be an octet.{cls.__name__} or a dict, not {type(params).__name__}")
    out = {}
    for f in dataclasses.fields(cls):
        value = getattr(params, f.name)
        if value is not None:
            out[f.name] = os.fspath(value) if f.name == "statistics_path" else _plain(value)
    return out


def read_config(path: str | os.PathLike) -> dict:
    """A quantization config file (POT style, as `octet quantize --config` reads it) as a dict:
    model, output, data, algorithm, options (quantize()'s settings) and accuracy. Pass the path
    as quantize(..., config=path) to quantize with it; arguments you set override it."""
    return _octet.read_config(os.fspath(path))
