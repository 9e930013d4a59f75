"""Bad input raises octet.Error naming the item or input, and leaves the interpreter running."""
import numpy as np
import pytest

import octet

FAST = {"threads": 1, "report_subset_size": 0}


def test_wrong_shapes(resnet, images):
    with pytest.raises(octet.Error, match=r"calibration_dataset item 0: a sample of shape \[28,28\] for input 'input'"):
        octet.quantize(resnet, [np.zeros((28, 28), np.float32)], advanced=FAST)
    with pytest.raises(octet.Error, match="calibration_dataset item 2"):
        octet.quantize(resnet, images[:2] + [np.zeros((1, 3, 28, 28), np.float32)], advanced=FAST)
    compiled = octet.compile(resnet, threads=1)
    with pytest.raises(octet.Error, match="input"):
        compiled([np.zeros((1, 1, 27, 28), np.float32)])
    with pytest.raises(octet.Error, match="takes 1 input"):
        compiled([images[0], images[1]])
    with pytest.raises(octet.Error, match="'pixels' is not one of the model's inputs"):
        compiled({"pixels": images[0]})
    with pytest.raises(octet.Error, match="numpy dtype complex64"):
        compiled([images[0].astype(np.complex64)])
    assert compiled([images[0]])[0].shape == (1, 10)  # still usable


def test_transform_that_raises(resnet, images):
    def transform(item):
        if item is images[3]:
            raise ValueError("bad pixel")
        return item

    with pytest.raises(octet.Error, match=r"transform_fn raised on item 3: ValueError\('bad pixel'\)") as e:
        octet.quantize(resnet, octet.Dataset(images[:8], transform), advanced=FAST)
    assert isinstance(e.value.__cause__, ValueError)


class Short:
    """Claims 10 items, yields 3: a reader that hit the end of its file too soon."""

    def __len__(self):
        return 10

    def __iter__(self):
        return iter([np.zeros((1, 1, 28, 28), np.float32)] * 3)


def test_iterable_that_ends_early_or_is_empty(resnet):
    with pytest.raises(octet.Error, match="calibration_dataset ended after 3 items; its len\\(\\) is 10"):
        octet.quantize(resnet, Short(), advanced=FAST)
    with pytest.raises(octet.Error, match="calibration_dataset yielded no items"):
        octet.quantize(resnet, iter([]), advanced=FAST)


def test_bad_files_and_arguments(tmp):
    (tmp / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(octet.Error, match="junk.onnx"):
        octet.load(tmp / "junk.onnx")
    with pytest.raises(octet.Error):
        octet.load(b"\x00\x01garbage")
    with pytest.raises(TypeError, match="path, bytes or an onnx.ModelProto"):
        octet.load(42)
    with pytest.raises(octet.Error, match="no_such_dataset"):
        octet.open_dataset("no_such_dataset.npy")


def test_unknown_advanced_key(resnet, images):
    with pytest.raises(octet.Error, match="advanced: unknown key 'activation_range'"):
        octet.quantize(resnet, images[:2], advanced={"activation_range": "mse"})
