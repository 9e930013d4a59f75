"""The .pyi stub names what the package exports, and the signatures agree."""
import ast
import inspect
import pathlib

import octet


def stub_names():
    tree = ast.parse((pathlib.Path(octet.__file__).parent / "__init__.pyi").read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
    return names, {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_stub_lists_every_export():
    names, _ = stub_names()
    assert set(octet.__all__) <= names


def test_stub_signatures_match():
    _, functions = stub_names()
    for name in ("load", "compile", "quantize", "quantize_with_accuracy_control", "open_dataset", "read_config"):
        stub = [a.arg for a in functions[name].args.args]
        assert stub == list(inspect.signature(getattr(octet, name)).parameters), name
