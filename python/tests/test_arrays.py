"""Arrays in and out: every dtype octet runs survives a model round trip with its values,
outputs are numpy arrays over octet's own buffer, and models go to and from bytes and onnx."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import octet

DTYPES = {
    "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "float16": TensorProto.FLOAT16,
    "int8": TensorProto.INT8, "uint8": TensorProto.UINT8, "int32": TensorProto.INT32,
    "int64": TensorProto.INT64, "bool": TensorProto.BOOL,
}


def identity_model(elem_type, shape=(2, 3)):
    x = helper.make_tensor_value_info("x", elem_type, list(shape))
    y = helper.make_tensor_value_info("y", elem_type, list(shape))
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"], name="id")], "id", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_every_dtype_round_trips(dtype):
    compiled = octet.compile(octet.load(identity_model(DTYPES[dtype])), threads=1)
    x = (np.arange(6).reshape(2, 3) % 5).astype(dtype)
    (y,) = compiled([x])
    # octet computes FP16 models in FP32 (docs/architecture.md): their compiled inputs and
    # outputs are float32, and float16 data is converted on the way in.
    want = "float32" if dtype == "float16" else dtype
    assert compiled.inputs[0].dtype == want and compiled.outputs[0].dtype == want
    assert y.dtype == np.dtype(want)
    assert y.shape == (2, 3)
    np.testing.assert_array_equal(y, x.astype(want))


def test_outputs_are_zero_copy_views_of_octet_buffers(resnet, images):
    compiled = octet.compile(resnet, threads=1)
    (logits,) = compiled([images[0]])
    assert logits.dtype == np.float32 and logits.shape == (1, 10)
    assert not logits.flags["OWNDATA"]  # numpy views the buffer octet wrote
    assert logits.flags["C_CONTIGUOUS"] and logits.flags["WRITEABLE"]
    del compiled  # the array keeps its buffer alive
    assert np.isfinite(logits).all()


def test_dict_in_dict_out_and_strided_input(resnet, images):
    compiled = octet.compile(resnet, threads=1)
    by_name = compiled({"input": images[0]})
    assert list(by_name) == ["logits"]
    # A non-contiguous view gives the same answer as its contiguous copy.
    wide = np.zeros((1, 1, 28, 56), np.float32)
    wide[..., ::2] = images[0]
    np.testing.assert_array_equal(compiled.run([wide[..., ::2]])[0], by_name["logits"])


def test_model_bytes_and_onnx_round_trip(resnet, images, tmp):
    proto = resnet.to_onnx()
    assert isinstance(proto, onnx.ModelProto)
    from_proto = octet.load(proto)
    from_bytes = octet.load(resnet.to_bytes())
    path = tmp / "copy.onnx"
    resnet.save(path)
    assert path.read_bytes() == resnet.to_bytes()
    want = octet.compile(resnet, threads=1)([images[1]])[0]
    for m in (from_proto, from_bytes, octet.load(str(path))):
        np.testing.assert_array_equal(octet.compile(m, threads=1)([images[1]])[0], want)


def test_batch_and_shapes(resnet, images):
    batch = np.concatenate(images[:4])
    compiled = octet.compile(resnet, threads=1, shapes={"input": [4, 1, 28, 28]})
    out = compiled([batch])[0]
    assert out.shape == (4, 10)
    single = octet.compile(resnet, threads=1)
    np.testing.assert_allclose(out[2], single([images[2]])[0][0], rtol=1e-4, atol=1e-5)


def test_bench_has_the_cli_json_fields(resnet):
    r = octet.compile(resnet, threads=1).bench(iters=3, warmup=1)
    assert r["engine"] == "octet" and r["iters"] == 3 and r["warmup"] == 1 and r["threads"] == 1
    assert r["batch"] == 1 and r["compile_ms"] > 0
    assert 0 < r["latency_ms"]["min"] <= r["latency_ms"]["median"] <= r["latency_ms"]["p90"]
    assert r["node_count"] == sum(r["nodes_by_dtype"].values())
