"""octet.quantize against the CLI on the bundled Fashion-MNIST ResNet: the same settings and
samples give the same INT8 file, byte for byte, and the same accuracy; the report is the CLI's;
config and statistics files work as they do for `octet quantize`."""
import json
import subprocess

import numpy as np
import pytest

import octet
from conftest import CLI, RESNET, top1

SUBSET = 100  # calibration samples: enough for the bundled model, quick on two cores


def cli_quantize(out, *flags):
    subprocess.run([CLI, "quantize", str(RESNET), "-o", str(out), "--data", "fashion-mnist:train",
                    "--subset-size", str(SUBSET), "--threads", "2", *flags], check=True, capture_output=True)


@pytest.fixture(scope="module")
def quantized(resnet):
    # The CLI's seeded subset (--subset-size N, --seed 0).
    data = octet.open_dataset("fashion-mnist:train", model=resnet, subset=SUBSET, seed=0)
    return octet.quantize(resnet, data, subset_size=SUBSET, advanced={"threads": 2})


def test_same_int8_file_as_the_cli(quantized, tmp):
    cli_quantize(tmp / "cli.onnx", "--report", str(tmp / "cli.json"))
    quantized.save(tmp / "py.onnx")
    assert (tmp / "py.onnx").read_bytes() == (tmp / "cli.onnx").read_bytes()
    cli_report = json.loads((tmp / "cli.json").read_text())
    assert [l["node"] for l in quantized.report.layers] == [l["node"] for l in cli_report["layers"]]
    assert [l["scale"] for l in quantized.report.layers] == [l["scale"] for l in cli_report["layers"]]
    assert "layers in INT8" in str(quantized.report)


def test_same_accuracy_as_cli_eval(quantized, tmp):
    quantized.save(tmp / "py.onnx")
    out = subprocess.run([CLI, "eval", str(tmp / "py.onnx"), "--data", "fashion-mnist:test", "--subset", "1000",
                          "--seed", "0", "--json", "--threads", "2"], check=True, capture_output=True, text=True)
    cli = json.loads(out.stdout)
    items = list(octet.open_dataset("fashion-mnist:test", model=quantized, subset=1000, seed=0).get_data())
    assert top1(octet.compile(quantized, threads=2), items) == pytest.approx(cli["value"], abs=1e-12)
    assert cli["value"] > 0.85


def test_generator_dataset_and_transform(resnet, images):
    def generate():  # no len(): octet takes what it yields, up to subset_size
        for image in images[:20]:
            yield {"pixels": image}

    q = octet.quantize(resnet, octet.Dataset(generate(), lambda item: {"input": item["pixels"]}),
                       subset_size=50, advanced=octet.AdvancedParameters(threads=1, report_subset_size=0))
    assert q.report["calibration_samples"] == 20
    assert all(l["quantized"] for l in q.report.layers)


def test_strings_and_enums_and_ignored_scope(resnet, images):
    q = octet.quantize(resnet, images[:16], preset=octet.QuantizationPreset.MIXED, model_type="cnn",
                       ignored_scope=octet.IgnoredScope(types=["FullyConnected"]),
                       advanced={"threads": 1, "report_subset_size": 0, "bias_correction": "none"})
    assert q.report["preset"] == "mixed" and q.report["model_type"] == "cnn"
    kept = [l for l in q.report.layers if not l["quantized"]]
    assert kept and all(l["op"] == "FullyConnected" for l in kept)
    with pytest.raises(octet.Error, match="preset is 'fast'; it must be one of: performance, mixed"):
        octet.quantize(resnet, images[:4], preset="fast")
    with pytest.raises(octet.Error, match="ignored_scope: .*no_such_node"):
        octet.quantize(resnet, images[:4], ignored_scope=octet.IgnoredScope(names=["no_such_node"]),
                       advanced={"threads": 1, "report_subset_size": 0})


def test_config_and_statistics_files(resnet, images, tmp):
    config = tmp / "q.json"
    config.write_text(json.dumps({"algorithms": [{"name": "DefaultQuantization", "params": {
        "preset": "mixed", "stat_subset_size": 12, "bias_correction": "none"}}]}))
    assert octet.read_config(config)["options"]["preset"] == "mixed"
    stats = tmp / "calib.stats"
    first = octet.quantize(resnet, images, config=config,
                           advanced={"threads": 1, "report_subset_size": 0, "statistics_path": str(stats)})
    assert first.report["preset"] == "mixed" and first.report["calibration_samples"] == 12
    assert stats.exists() and not first.report["statistics_reused"]
    again = octet.quantize(resnet, images, config=config,
                           advanced={"threads": 1, "report_subset_size": 0, "statistics_path": str(stats)})
    assert again.report["statistics_reused"]
    assert again.to_bytes() == first.to_bytes()
    # An argument set here wins over the file, as a flag wins over --config.
    assert octet.quantize(resnet, images, config=config, preset="performance",
                          advanced={"threads": 1, "report_subset_size": 0}).report["preset"] == "performance"
