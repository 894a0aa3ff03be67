"""The emulator's modules import in one direction: no cycle, TYPE_CHECKING imports included."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.import_cycles import find_cycle

PACKAGE = Path(__file__).resolve().parents[2] / "emulator"


def _imports(path: Path) -> set[str]:
    """Every emulator module this file imports, wherever the import sits (if TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"{path.name}: relative import of {node.module}")
            if node.module == "emulator":
                found.update(f"emulator.{a.name}" for a in node.names)
            elif node.module.startswith("emulator."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("emulator."))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {f"emulator.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & modules.keys() for name, path in modules.items()}


def test_the_cycle_finder_finds_a_type_checking_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from emulator.b import B\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from emulator.a import A\n"
    )
    graph = {
        "emulator.a": _imports(tmp_path / "a.py"),
        "emulator.b": _imports(tmp_path / "b.py"),
    }
    assert find_cycle(graph) == ["emulator.a", "emulator.b", "emulator.a"]


def test_emulator_modules_import_in_one_direction() -> None:
    graph = import_graph()
    assert "emulator.node" in graph and graph["emulator.node"], "the graph was not read"
    assert find_cycle(graph) == [], " -> ".join(find_cycle(graph))


def test_no_part_imports_the_node_module() -> None:
    """The node composes its parts; only the entry points (cluster, operations, main) use it."""
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if "emulator.node" in deps)
    assert importers == ["emulator.__main__", "emulator.cluster", "emulator.operations"]
