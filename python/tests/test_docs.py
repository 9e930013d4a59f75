"""The worked example of docs/python.md runs as written and says what the page says it does."""
import contextlib
import io
import os
import re

from conftest import SOURCE


def test_worked_example(tmp):
    page = (SOURCE / "docs" / "python.md").read_text()
    block = re.search(r"## A worked example.*?```python\n(.*?)```", page, re.S).group(1)
    (tmp / "models").symlink_to(SOURCE / "models")  # the example's relative paths, outside the checkout
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(block, "docs/python.md", "exec"), {})
    finally:
        os.chdir(cwd)
    text = out.getvalue()
    assert "layers in INT8" in text
    found = dict(re.findall(r"(FP32|INT8): top-1 ([0-9.]+) on 10000 images", text))
    assert set(found) == {"FP32", "INT8"}
    assert float(found["FP32"]) > 0.88 and float(found["INT8"]) > float(found["FP32"]) - 0.01
    int8, fp32 = (tmp / "fmnist_resnet_int8.onnx").stat().st_size, (SOURCE / "models" / "fmnist_resnet.onnx").stat().st_size
    assert int8 < 0.4 * fp32
