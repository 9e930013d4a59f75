"""Shared fixtures: where the repository, the octet CLI and a scratch folder are (CTest sets
OCTET_SOURCE_DIR, OCTET_CLI and OCTET_TEST_TMP; run by hand, paths default to the checkout's
build/), the bundled Fashion-MNIST model and a few of its calibration samples."""
import os
import pathlib

import numpy as np
import pytest

import octet

SOURCE = pathlib.Path(os.environ.get("OCTET_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("OCTET_CLI", str(SOURCE / "build" / "octet"))
RESNET = SOURCE / "models" / "fmnist_resnet.onnx"


@pytest.fixture
def tmp(tmp_path_factory):
    base = os.environ.get("OCTET_TEST_TMP")
    if base:
        os.makedirs(base, exist_ok=True)
        import tempfile
        return pathlib.Path(tempfile.mkdtemp(dir=base))
    return tmp_path_factory.mktemp("octet")


@pytest.fixture(scope="session")
def resnet():
    return octet.load(RESNET)


@pytest.fixture(scope="session")
def fmnist_train(resnet):
    return octet.open_dataset("fashion-mnist:train", model=resnet)


@pytest.fixture(scope="session")
def fmnist_test(resnet):
    return octet.open_dataset("fashion-mnist:test", model=resnet)


@pytest.fixture(scope="session")
def images(fmnist_train):
    """64 preprocessed training images, [1,1,28,28] float32 each."""
    return [fmnist_train[i][0][0] for i in range(64)]


def top1(compiled, items):
    """Top-1 of a compiled model over (inputs, label) items."""
    hits = sum(int(np.argmax(compiled(inputs)[0]) == label) for inputs, label in items)
    return hits / len(items)
