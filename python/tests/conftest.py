"""Shared fixtures: where the repository and the octet CLI are (CTest sets OCTET_SOURCE_DIR and
OCTET_CLI; run by hand, they default to this checkout and its build/), a scratch folder, the
bundled Fashion-MNIST model and a few of its calibration samples."""
import os
import pathlib

import numpy as np
import pytest

import octet

SOURCE = pathlib.Path(os.environ.get("OCTET_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("OCTET_CLI", str(SOURCE / "build" / "octet"))
RESNET = SOURCE / "models" / "fmnist_resnet.onnx"


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


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
