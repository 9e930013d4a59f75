"""octet: post-training INT8 quantization and a CPU inference engine for ONNX models.

    import octet
    model = octet.load("models/fmnist_resnet.onnx")
    data = octet.open_dataset("fashion-mnist:train", model=model)
    int8 = octet.quantize(model, data, subset_size=300)
    int8.save("fmnist_resnet_int8.onnx"); print(int8.report)
    compiled = octet.compile(int8)
    logits = compiled([image])[0]

See docs/python.md. The work happens in octet's C++ library (the _octet extension), with the
GIL released; octet's errors arrive as octet.Error carrying its message.
"""
from ._octet import BadSampleError, Error
from ._data import Dataset, open_dataset, sample_indices
from ._model import CompiledModel, Model, ValueInfo, compile, load
from ._options import (AccuracyControlParameters, AdvancedParameters, DropType, IgnoredScope, ModelType,
                       QuantizationPreset, TargetDevice, read_config)
from ._quantize import QuantizationReport, quantize, quantize_with_accuracy_control

__version__ = "0.1.0"
__all__ = [
    "AccuracyControlParameters", "AdvancedParameters", "BadSampleError", "CompiledModel", "Dataset", "DropType",
    "Error", "IgnoredScope", "Model", "ModelType", "QuantizationPreset", "QuantizationReport", "TargetDevice",
    "ValueInfo", "compile", "load", "open_dataset", "quantize", "quantize_with_accuracy_control", "read_config",
    "sample_indices",
]
