"""Datasets: any iterable of samples plus a transform, in the sense of nncf.Dataset, and the
datasets octet itself reads from specs (open_dataset: the CLI's --data).

octet takes the first `subset_size` items of a Dataset, turns each into the model's inputs
(transform_fn's result: one array, a tuple/list in input order, or a dict by input name) and
holds them in memory for calibration, which then runs without the GIL.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Iterator

from . import _octet


class Dataset:
    """An iterable of samples (a list, a generator, a torch DataLoader, ...) and an optional
    transform_fn that turns one sample into the model's inputs."""

    def __init__(self, data_source: Iterable, transform_fn: Callable[[Any], Any] | None = None):
        if not hasattr(data_source, "__iter__") and not hasattr(data_source, "__getitem__"):
            raise TypeError(f"octet.Dataset wants an iterable, not {type(data_source).__name__}")
        self._source = data_source
        self._transform = transform_fn

    def label_of(self, item: Any):
        """An item's label, when the dataset knows it (open_dataset's do); None otherwise."""
        return None

    def get_length(self) -> int | None:
        try:
            return len(self._source)
        except TypeError:
            return None

    def get_data(self, indices: Iterable[int] | None = None) -> Iterator:
        """The raw items (those at `indices`, sorted, when given)."""
        if indices is None:
            yield from self._source
            return
        wanted = sorted(set(indices))
        k = 0
        for i, item in enumerate(self._source):
            if k == len(wanted):
                return
            if i == wanted[k]:
                k += 1
                yield item

    def get_inference_data(self, indices: Iterable[int] | None = None) -> Iterator:
        """The items as model inputs (transform_fn applied)."""
        for item in self.get_data(indices):
            yield item if self._transform is None else self._transform(item)

    def __iter__(self) -> Iterator:
        return self.get_data()


def _as_dataset(data: Any, what: str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, _octet.DataSource):
        return _SpecDataset(data)
    if hasattr(data, "__iter__") or hasattr(data, "__getitem__"):
        return Dataset(data)
    raise TypeError(f"{what} must be an octet.Dataset or an iterable, not {type(data).__name__}")


def _input_list(value: Any, names: list[str], what: str) -> list:
    """One transformed item as the model's inputs in input order."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise _octet.Error(f"{what}: input '{unknown[0]}' is not one of the model's inputs ({', '.join(names)})")
        missing = [n for n in names if n not in value]
        if missing:
            raise _octet.Error(f"{what}: input '{missing[0]}' is missing (the model takes {', '.join(names)})")
        return [value[n] for n in names]
    if isinstance(value, (tuple, list)):
        if len(value) != len(names):
            raise _octet.Error(f"{what} has {len(value)} values; the model takes {len(names)} input(s) "
                               f"({', '.join(names)}); pass transform_fn to pick them out of the item")
        return list(value)
    return [value]


def _materialize(dataset: Dataset, names: list[str], limit: int | None, what: str, keep_raw: bool = False):
    """The first `limit` items (all when None) as lists of inputs, and the raw items if asked.

    Errors name the item: a transform that raises, an item of the wrong form, an iterable
    that ends before the length it claims or yields nothing.
    """
    inputs, raw = [], []
    expected = dataset.get_length()
    iterator = iter(dataset.get_data())
    i = 0
    while limit is None or i < limit:
        try:
            item = next(iterator)
        except StopIteration:
            break
        except Exception as e:
            raise _octet.Error(f"{what}: iterating failed at item {i}: {e!r}") from e
        try:
            value = item if dataset._transform is None else dataset._transform(item)
        except Exception as e:
            raise _octet.Error(f"{what}: transform_fn raised on item {i}: {e!r}") from e
        inputs.append(_input_list(value, names, f"{what} item {i}"))
        if keep_raw:
            raw.append(item)
        i += 1
    if i == 0:
        raise _octet.Error(f"{what} yielded no items")
    wanted = expected if limit is None or expected is None else min(expected, limit)
    if wanted is not None and i < wanted:
        raise _octet.Error(f"{what} ended after {i} items; its len() is {expected}")
    return inputs, raw


class _SpecDataset(Dataset):
    """A dataset octet reads itself (open_dataset); items are (inputs, label), read on demand,
    of all samples or of the seeded subset at `rows`."""

    def __init__(self, native: _octet.DataSource, rows: list[int] | None = None):
        super().__init__(native, transform_fn=lambda item: item[0])
        self.native = native
        self._rows = rows

    def label_of(self, item):
        return item[1]

    def __len__(self) -> int:
        return len(self.native) if self._rows is None else len(self._rows)

    def get_length(self) -> int:
        return len(self)

    def __getitem__(self, i: int):
        return self.native[i if self._rows is None else self._rows[i]]

    def describe(self) -> str:
        return self.native.describe()

    def get_data(self, indices=None):
        for i in (range(len(self)) if indices is None else sorted(set(indices))):
            yield self[i]


def open_dataset(spec: str, labels: str | os.PathLike | None = None, preprocess: str | dict | None = None,
                 model=None, subset: int | None = None, seed: int = 0) -> Dataset:
    """A dataset from a spec, as the CLI's --data reads it: "fashion-mnist:train", "x.npy",
    "a=x.npy,b=y.npy", an IDX file, or a folder of images (docs/data.md). Items are
    (inputs, label); with `model`, its octet.preprocess metadata applies (preprocess, a JSON
    string or dict, is merged over it). subset: a seeded subset of that many samples, the
    same the CLI's --subset N --seed S (eval) or --subset-size N --seed S (quantize) take."""
    import json
    text = json.dumps(preprocess) if isinstance(preprocess, dict) else (preprocess or "")
    native_model = None if model is None else model._native
    native = _octet.open_dataset(os.fspath(spec), os.fspath(labels) if labels else "", text, native_model)
    return _SpecDataset(native, None if subset is None else sample_indices(len(native), subset, seed))


def sample_indices(size: int, n: int, seed: int = 0) -> list[int]:
    """n indices of range(size) from a seeded shuffle, sorted: the CLI's --subset-size/--seed subset."""
    return _octet.sample_indices(size, n, seed)
