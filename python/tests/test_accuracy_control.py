"""A Python metric drives the accuracy-aware search: the search calls validation_fn with octet
compiled models, takes its numbers as the metric, and reverts layers until the bound holds."""
import numpy as np
import pytest

import octet
from conftest import top1

EVAL = 60


@pytest.fixture(scope="module")
def reference(resnet, fmnist_test):
    """FP32 logits of the validation items, for a metric of closeness to FP32."""
    items = [fmnist_test[i] for i in range(EVAL)]
    compiled = octet.compile(resnet, threads=1)
    return items, [compiled(inputs)[0] for inputs, _ in items]


def test_python_metric_drives_the_search(resnet, images, reference):
    items, fp32_logits = reference
    calls = []

    # A strict metric top-1 cannot see: the share of samples whose logits stay within 2% of
    # FP32's. DefaultQuantization misses the 1% bound on it, so the search must act.
    def closeness(compiled, data):
        assert isinstance(compiled, octet.CompiledModel) and len(data) == EVAL
        per_sample = []
        for (inputs, _), want in zip(data, fp32_logits):
            got = compiled(inputs)[0]
            per_sample.append(float(np.abs(got - want).max() <= 0.02 * np.abs(want).max()))
        calls.append(np.mean(per_sample))
        return float(np.mean(per_sample)), per_sample

    q = octet.quantize_with_accuracy_control(
        resnet, images[:32], octet.Dataset(items, lambda item: item[0]), closeness, max_drop=0.01,
        advanced={"threads": 1, "report_subset_size": 0},
        accuracy_control=octet.AccuracyControlParameters(tune_hyperparams=False, ranking_subset_size=30))
    r = q.report
    assert r["metric"] == "closeness"
    assert r["fp32"]["metric"] == 1.0 and calls[0] == 1.0
    assert r["default_int8"]["drop"] > 0.01  # the metric, not top-1, said INT8 was not good enough
    assert len(r["steps"]) > 0 and r["evaluations"] + 1 <= len(calls)
    # The final figure is the metric's own value for the model returned.
    again = closeness(octet.compile(q, threads=1), items)[0]
    assert r["result"]["metric"] == pytest.approx(again)
    assert r["bound_met"] == (r["result"]["drop"] <= 0.01 + 1e-12)
    assert r["result"]["fp32_units"], "meeting a strict bound takes layers back to FP32"


def test_builtin_top1_with_labels(resnet, images):
    validation = octet.open_dataset("fashion-mnist:test", model=resnet, subset=500, seed=0)
    q = octet.quantize_with_accuracy_control(resnet, images[:32], validation, "top1", max_drop=0.05,
                                             advanced={"threads": 1, "report_subset_size": 0})
    assert q.report["metric"] == "top1" and q.report["samples"]["eval"] == 500
    assert q.report["bound_met"]
    fp32 = octet.compile(resnet, threads=1)
    assert q.report["fp32"]["metric"] == pytest.approx(top1(fp32, list(validation.get_data())))


def test_metric_errors_reach_python(resnet, images, reference):
    items = octet.Dataset(reference[0], lambda item: item[0])

    def broken(compiled, data):
        raise ZeroDivisionError("metric bug")

    with pytest.raises(ZeroDivisionError, match="metric bug"):
        octet.quantize_with_accuracy_control(resnet, images[:8], items, broken,
                                             advanced={"threads": 1, "report_subset_size": 0})
    with pytest.raises(octet.Error, match="must return a number"):
        octet.quantize_with_accuracy_control(resnet, images[:8], items, lambda c, d: "good",
                                             advanced={"threads": 1, "report_subset_size": 0})
    with pytest.raises(octet.Error, match="3 per-sample values for 60"):
        octet.quantize_with_accuracy_control(resnet, images[:8], items, lambda c, d: (1.0, [1, 1, 1]),
                                             advanced={"threads": 1, "report_subset_size": 0})
