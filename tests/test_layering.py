"""The pure layers (physics, io) must not import aiida: they run without a profile or database."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).parents[1] / "aiida_orbmag"


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("layer", ["physics", "io"])
def test_pure_layers_do_not_import_aiida(layer):
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(PACKAGE)): module
        for path in files
        for module in _imported_modules(path)
        if module == "aiida" or module.startswith("aiida.")
    }
    assert offenders == {}
