"""Import structure: no import circle inside ``aiida_orbmag``, and no test module importing from another one."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).parents[1]
PACKAGE = ROOT / "aiida_orbmag"
TESTS = ROOT / "tests"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path, modules) -> set[str]:
    """The modules among ``modules`` that ``path`` imports anywhere (function bodies included), relative imports
    resolved. ``from package import name`` imports ``package.name`` when that is a module, else ``package`` itself."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in found if name in modules and name != module}


def _modules(root: pathlib.Path) -> dict[str, pathlib.Path]:
    return {_module_name(path): path for path in root.rglob("*.py")}


def _graph(root: pathlib.Path) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: _imports(path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module -> imported modules), as a closed path, or None."""
    state = {}  # module -> "open" while on the current path, "done" once all its imports are explored

    def visit(module, path):
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                return [*path[path.index(other) :], other]
            if other not in state:
                found = visit(other, [*path, other])
                if found:
                    return found
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def test_cycle_detection_finds_a_planted_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_package_has_no_import_circle():
    """A circle would only import at all through function-local imports or import order; both break quietly."""
    graph = _graph(PACKAGE)
    assert "aiida_orbmag.workflows.wannierization" in graph
    assert _cycle(graph) is None


def test_test_modules_do_not_import_from_each_other():
    """Shared fixtures and helpers live in conftest.py files, which pytest loads and hands out as fixtures: no file
    under tests/ imports a test module (``tests/**/test_*.py``) or a conftest, or anything from one."""
    graph = _graph(TESTS)
    offenders = {
        module: sorted(name for name in imported if name.rpartition(".")[2].startswith(("test_", "conftest")))
        for module, imported in graph.items()
    }
    assert {module: names for module, names in offenders.items() if names} == {}
