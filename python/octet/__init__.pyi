# Type stub of the octet package, for editors and type checkers (the implementation is
# octet/_*.py over the _octet extension). Keep in step with __init__.py's __all__; the test
# python/tests/test_stub.py checks both list the same names.
import dataclasses
import os
from enum import Enum
from typing import Any, Callable, Iterable, Iterator, Literal, NamedTuple, Sequence, overload

import numpy as np

__version__: str

PathLike = str | os.PathLike[str]
ArrayLike = Any  # numpy.ndarray, or anything numpy.asarray takes (lists, torch tensors)

class Error(RuntimeError): ...
class BadSampleError(Error): ...

class ValueInfo(NamedTuple):
    name: str
    dtype: str
    shape: list[int | None]
    dim_params: list[str]

class QuantizationReport:
    json: str
    table: str
    data: dict[str, Any]
    @property
    def layers(self) -> list[dict[str, Any]]: ...
    def save(self, path: PathLike) -> None: ...
    def __getitem__(self, key: str) -> Any: ...

class Model:
    report: QuantizationReport | None
    @property
    def inputs(self) -> list[ValueInfo]: ...
    @property
    def outputs(self) -> list[ValueInfo]: ...
    @property
    def path(self) -> str: ...
    def save(self, path: PathLike) -> None: ...
    def to_bytes(self) -> bytes: ...
    def to_onnx(self) -> Any: ...  # onnx.ModelProto

class CompiledModel:
    @property
    def inputs(self) -> list[ValueInfo]: ...
    @property
    def outputs(self) -> list[ValueInfo]: ...
    @property
    def threads(self) -> int: ...
    @overload
    def run(self, inputs: dict[str, ArrayLike]) -> dict[str, np.ndarray]: ...
    @overload
    def run(self, inputs: Sequence[ArrayLike] | ArrayLike) -> list[np.ndarray]: ...
    @overload
    def __call__(self, inputs: dict[str, ArrayLike]) -> dict[str, np.ndarray]: ...
    @overload
    def __call__(self, inputs: Sequence[ArrayLike] | ArrayLike) -> list[np.ndarray]: ...
    def bench(self, iters: int = 20, warmup: int = 3, seed: int = 1, per_node: bool = False) -> dict[str, Any]: ...
    def kernels(self) -> list[dict[str, str]]: ...

def load(model: PathLike | bytes | Any) -> Model: ...
def compile(model: Model | PathLike | bytes | Any, threads: int | None = None,
            shapes: dict[str, Sequence[int]] | None = None, batch: int | None = None, optimize: bool = True,
            verbose: bool = False) -> CompiledModel: ...

class Dataset:
    def __init__(self, data_source: Iterable[Any], transform_fn: Callable[[Any], Any] | None = None) -> None: ...
    def get_length(self) -> int | None: ...
    def get_data(self, indices: Iterable[int] | None = None) -> Iterator[Any]: ...
    def get_inference_data(self, indices: Iterable[int] | None = None) -> Iterator[Any]: ...
    def label_of(self, item: Any) -> int | None: ...
    def __iter__(self) -> Iterator[Any]: ...

def open_dataset(spec: PathLike, labels: PathLike | None = None, preprocess: str | dict[str, Any] | None = None,
                 model: Model | None = None, subset: int | None = None, seed: int = 0) -> Dataset: ...
def sample_indices(size: int, n: int, seed: int = 0) -> list[int]: ...

class QuantizationPreset(str, Enum):
    PERFORMANCE = "performance"
    MIXED = "mixed"

class ModelType(str, Enum):
    CNN = "cnn"
    TRANSFORMER = "transformer"

class DropType(str, Enum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"

class TargetDevice(str, Enum):
    OCTET = "octet"
    ANY = "any"
    CPU = "cpu"

PresetName = QuantizationPreset | Literal["performance", "mixed"]
ModelTypeName = ModelType | Literal["auto", "cnn", "transformer"]

@dataclasses.dataclass
class IgnoredScope:
    names: list[str] = ...
    patterns: list[str] = ...
    types: list[str] = ...
    validate: bool = True
    def entries(self) -> list[str]: ...

@dataclasses.dataclass
class AdvancedParameters:
    activations_range: Literal["default", "min_max", "mean_min_max", "quantile", "mse", "kl"] | None = None
    weights_range: Literal["max", "mse"] | None = None
    bias_correction: Literal["fast", "full", "none"] | None = None
    bias_correction_threshold: float | None = None
    full_bias_correction_subset: int | None = None
    saturation_fix: Literal["auto", "detect", "no", "first_layer", "all"] | None = None
    statistics_path: PathLike | None = None
    report_subset_size: int | None = None
    histogram_bins: int | None = None
    shapes: dict[str, Sequence[int]] | None = None
    threads: int | None = None
    progress: bool | None = None
    verbose: bool | None = None

@dataclasses.dataclass
class AccuracyControlParameters:
    ranking_subset_size: int | None = None
    max_iters: int | None = None
    tune_hyperparams: bool | None = None
    use_prev_if_drop_increase: bool | None = None
    requantize: bool | None = None
    speed: Literal["auto", "profile", "macs"] | None = None
    eval_batch: int | None = None

def read_config(path: PathLike) -> dict[str, Any]: ...

def quantize(model: Model | PathLike | bytes | Any, calibration_dataset: Dataset | Iterable[Any],
             preset: PresetName | None = None, subset_size: int = 300, model_type: ModelTypeName | None = None,
             ignored_scope: IgnoredScope | None = None, fast_bias_correction: bool = True,
             target: TargetDevice | Literal["octet", "any", "cpu"] = "octet",
             advanced: AdvancedParameters | dict[str, Any] | None = None,
             config: PathLike | None = None) -> Model: ...

def quantize_with_accuracy_control(
        model: Model | PathLike | bytes | Any, calibration_dataset: Dataset | Iterable[Any],
        validation_dataset: Dataset | Iterable[Any],
        validation_fn: Callable[[CompiledModel, list[Any]], float | tuple[float, Sequence[float]]]
        | Literal["top1", "agreement"] | None = None,
        max_drop: float = 0.01, drop_type: DropType | Literal["absolute", "relative"] = "absolute",
        preset: PresetName | None = None, subset_size: int = 300, model_type: ModelTypeName | None = None,
        ignored_scope: IgnoredScope | None = None, fast_bias_correction: bool = True,
        target: TargetDevice | Literal["octet", "any", "cpu"] = "octet",
        advanced: AdvancedParameters | dict[str, Any] | None = None,
        accuracy_control: AccuracyControlParameters | dict[str, Any] | None = None,
        config: PathLike | None = None) -> Model: ...
