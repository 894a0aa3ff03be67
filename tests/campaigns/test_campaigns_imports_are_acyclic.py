"""The campaigns app's modules import in one direction: no cycle, deferred imports (inside a
function) and TYPE_CHECKING imports included, since a deferred import only hides a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.import_cycles import find_cycle

REPO = Path(__file__).resolve().parents[2]


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package but its migrations."""
    found = {}
    for path in (root / package).rglob("*.py"):
        if "migrations" in path.relative_to(root).parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The package's modules this file names in any import statement, wherever it sits."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from campaigns.services import lifecycle` names a module; else the module itself.
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
    found.discard(name)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def test_the_cycle_finder_sees_a_circle_hidden_in_a_function(tmp_path: Path) -> None:
    services = tmp_path / "campaigns" / "services"
    services.mkdir(parents=True)
    (tmp_path / "campaigns" / "__init__.py").write_text("")
    (services / "__init__.py").write_text("")
    (services / "dialing.py").write_text("def f():\n    from campaigns.services.results import g\n")
    (services / "results.py").write_text("from campaigns.services import dialing\n")
    graph = import_graph(tmp_path, "campaigns")
    assert find_cycle(graph) == [
        "campaigns.services.dialing", "campaigns.services.results", "campaigns.services.dialing"
    ]


def test_campaigns_modules_import_in_one_direction() -> None:
    graph = import_graph(REPO, "campaigns")
    assert "campaigns.services.lifecycle" in graph["campaigns.services.call_path.results"], (
        "the graph was not read")
    cycle = find_cycle(graph)
    assert cycle == [], " -> ".join(cycle)
