"""quantize() and quantize_with_accuracy_control(), in NNCF's shape: a model and a Dataset
in, the quantized Model out, with its report (the CLI's per-layer table and JSON) attached as
model.report. The work runs in octet's C++ library with the GIL released."""
from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any, Callable

from . import _octet
from ._data import _as_dataset, _materialize
from ._model import CompiledModel, Model, load
from ._options import (AccuracyControlParameters, AdvancedParameters, IgnoredScope, TargetDevice, _fields, _plain,
                       read_config)


class QuantizationReport:
    """What quantization did: str(report) is the CLI's table, report.json its --report file,
    report.data the same as a dict (report.layers: one dict per quantizable layer)."""

    def __init__(self, json_text: str, table: str):
        self.json = json_text
        self.table = table
        self.data = json.loads(json_text)

    @property
    def layers(self) -> list[dict]:
        # An accuracy-aware report holds the final model's quantization report as "quantization".
        return self.data["layers"] if "layers" in self.data else self.data["quantization"]["layers"]

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w") as f:
            f.write(self.json)

    def __str__(self) -> str:
        return self.table

    def __getitem__(self, key: str):
        return self.data[key]


def _settings(preset, subset_size, model_type, ignored_scope, fast_bias_correction, target, advanced) -> dict:
    """The arguments octet's C++ side reads: only those set (preset, model_type not None) or
    away from their defaults (octet's own), so that a config file's values stand unless an
    argument overrides them."""
    target = _plain(target)
    if target not in [t.value for t in TargetDevice]:
        raise _octet.Error(f"target is '{target}'; it must be one of: {', '.join(t.value for t in TargetDevice)}")
    s: dict[str, Any] = {}
    if preset is not None:
        s["preset"] = _plain(preset)
    if subset_size != 300:
        s["subset_size"] = int(subset_size)
    if model_type is not None:
        s["model_type"] = _plain(model_type)
    if ignored_scope is not None:
        if not isinstance(ignored_scope, IgnoredScope):
            raise TypeError(f"ignored_scope must be an octet.IgnoredScope, not {type(ignored_scope).__name__}")
        s["ignored"] = ignored_scope.entries()
    if not fast_bias_correction:
        s["bias_correction"] = "full"
    s.update(_fields(advanced, AdvancedParameters, "advanced"))
    if s.get("progress") is None:
        s["progress"] = sys.stderr.isatty()
    return s


def _subset_size(settings: dict, config: str) -> int:
    if "subset_size" in settings:
        return settings["subset_size"]
    return read_config(config)["options"]["subset_size"] if config else 300


def _check_ignored(report: QuantizationReport, ignored_scope) -> None:
    # octet lists ignored-scope entries that matched nothing among the report's warnings.
    for w in report.data.get("warnings", report.data.get("quantization", {}).get("warnings", [])):
        if ignored_scope is not None and ignored_scope.validate and w.startswith("ignored-scope entry"):
            raise _octet.Error(f"ignored_scope: {w} (IgnoredScope(validate=False) allows it)")
        warnings.warn(f"octet: {w}", stacklevel=3)


def quantize(model: Any, calibration_dataset: Any, preset: str | None = None, subset_size: int = 300,
             model_type: str | None = None, ignored_scope: IgnoredScope | None = None,
             fast_bias_correction: bool = True, target: str = "octet", advanced: AdvancedParameters | dict | None = None,
             config: str | os.PathLike | None = None) -> Model:
    """DefaultQuantization: the first subset_size items of calibration_dataset calibrate the
    ranges; returns the QDQ model, its report in .report. preset None: "performance" (or the
    config's). config: a settings file as the CLI's --config reads it; the arguments set here
    (preset, model_type, ignored_scope, advanced fields not None; subset_size other than 300,
    fast_bias_correction=False) override it, as flags do."""
    m = load(model)
    settings = _settings(preset, subset_size, model_type, ignored_scope, fast_bias_correction, target, advanced)
    config_path = os.fspath(config) if config else ""
    names = [i.name for i in m.inputs]
    samples, _ = _materialize(_as_dataset(calibration_dataset, "calibration_dataset"), names,
                              _subset_size(settings, config_path), "calibration_dataset")
    native, report_json, table = _octet.quantize(m._native, samples, settings, config_path)
    report = QuantizationReport(report_json, table)
    _check_ignored(report, ignored_scope)
    return Model(native, report)


def quantize_with_accuracy_control(
        model: Any, calibration_dataset: Any, validation_dataset: Any,
        validation_fn: Callable[[CompiledModel, Any], Any] | str | None = None, max_drop: float = 0.01,
        drop_type: str = "absolute", preset: str | None = None, subset_size: int = 300,
        model_type: str | None = None, ignored_scope: IgnoredScope | None = None, fast_bias_correction: bool = True,
        target: str = "octet", advanced: AdvancedParameters | dict | None = None,
        accuracy_control: AccuracyControlParameters | dict | None = None,
        config: str | os.PathLike | None = None) -> Model:
    """AccuracyAwareQuantization: DefaultQuantization, then layers go back to FP32 (or get
    another range estimator) while the metric drops more than max_drop.

    validation_fn(compiled_model, validation_data) is your metric (higher is better), as in
    NNCF: compiled_model is an octet.CompiledModel (batch 1), validation_data the list of
    validation_dataset's raw items. It returns a number, or (number, per-sample values); the
    per-sample values then choose the samples the search ranks layers on. Instead of a
    function, "top1" (labels from an open_dataset dataset) or "agreement" (top-1 equal to
    FP32's) use octet's own metrics. The report (model.report) is the CLI's accuracy-aware
    report: model.report["bound_met"], ["result"]["drop"], ["result"]["fp32_units"], ...
    """
    m = load(model)
    settings = _settings(preset, subset_size, model_type, ignored_scope, fast_bias_correction, target, advanced)
    config_path = os.fspath(config) if config else ""
    control = _fields(accuracy_control, AccuracyControlParameters, "accuracy_control")
    if max_drop != 0.01:
        control["max_drop"] = float(max_drop)
    if _plain(drop_type) != "absolute":
        control["drop_type"] = _plain(drop_type)
    names = [i.name for i in m.inputs]
    calib, _ = _materialize(_as_dataset(calibration_dataset, "calibration_dataset"), names,
                            _subset_size(settings, config_path), "calibration_dataset")
    validation = _as_dataset(validation_dataset, "validation_dataset")
    eval_inputs, raw = _materialize(validation, names, None, "validation_dataset", keep_raw=True)

    labels = None
    metric_fn = None
    metric_name = "custom"
    if validation_fn is None or isinstance(validation_fn, str):
        control["metric"] = validation_fn or ""
        found = [validation.label_of(item) for item in raw]
        if all(label is not None for label in found):
            labels = [int(label) for label in found]
    elif callable(validation_fn):
        metric_name = getattr(validation_fn, "__name__", "custom")
        metric_fn = lambda native: validation_fn(CompiledModel(native), raw)  # noqa: E731
    else:
        raise TypeError(f"validation_fn must be callable, 'top1', 'agreement' or None, not {type(validation_fn).__name__}")
    native, report_json, table, _ = _octet.quantize_with_accuracy_control(
        m._native, calib, eval_inputs, labels, settings, control, config_path, metric_fn, metric_name)
    report = QuantizationReport(report_json, table)
    _check_ignored(report, ignored_scope)
    return Model(native, report)
