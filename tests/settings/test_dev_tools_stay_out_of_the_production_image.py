"""Dependencies: requirements*.in name the direct ones; requirements*.txt pin every package with
its hashes (compiled by pip-tools) and are installed with --require-hashes. Development tools live
in the dev set only: the production image installs requirements.txt, the Makefile both."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {
    "pytest", "pytest-django", "pytest-timeout", "hypothesis", "ruff", "mypy", "playwright",
    "pip-tools", "schemathesis",
}
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.+!-]*)( \\)?$")
HASH = re.compile(r"^ {4}--hash=sha256:[0-9a-f]{64}( \\)?$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(name: str) -> dict[str, str]:
    """name -> version of a compiled file; every requirement is exact and carries a hash."""
    lines = (ROOT / name).read_text().splitlines()
    pins: dict[str, str] = {}
    hashes: dict[str, int] = {}
    current = None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := REQUIREMENT.match(line):
            current = normalise(match.group(1))
            assert current not in pins, f"{name}: {current} pinned twice"
            pins[current] = match.group(2)
            hashes[current] = 0
        else:
            assert HASH.match(line) and current is not None, f"{name}: not a pin or a hash: {line}"
            hashes[current] += 1
    assert pins and all(hashes.values()), [n for n, count in hashes.items() if not count]
    return pins


def _direct(name: str) -> set[str]:
    """The names an .in file lists (options such as -c skipped, extras dropped)."""
    lines = (ROOT / name).read_text().splitlines()
    entries = [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-"))]
    return {normalise(re.split(r"[\[=<>~! ]", entry)[0]) for entry in entries}


def test_every_package_is_pinned_with_its_hashes():
    assert len(_pins("requirements.txt")) > 20
    assert len(_pins("requirements-dev.txt")) > 20


def test_the_in_files_name_the_direct_dependencies_and_each_is_compiled():
    production, development = _direct("requirements.in"), _direct("requirements-dev.in")
    assert {"django", "celery", "redis", "phonenumbers"} <= production
    assert set(_pins("requirements.txt")) >= production
    assert set(_pins("requirements-dev.txt")) >= development
    assert "-c requirements.txt" in (ROOT / "requirements-dev.in").read_text()


def test_development_tools_are_pinned_apart_from_production():
    production, development = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert not DEV_TOOLS & set(production)
    assert not DEV_TOOLS & _direct("requirements.in")
    assert set(development) >= DEV_TOOLS
    # A package both sets need is pinned at one version (the dev set is constrained by the other).
    shared = set(production) & set(development)
    assert {name: development[name] for name in shared} == {
        name: production[name] for name in shared}


def test_tablib_is_gone_since_nothing_needs_it():
    assert "tablib" not in _pins("requirements.txt") | _pins("requirements-dev.txt")
    # No installed distribution requires it (django-import-export, its one user, is not used).
    for dist in importlib.metadata.distributions():
        requires = [r for r in dist.requires or [] if "extra ==" not in r]
        assert not any(re.match(r"tablib\b", r, re.I) for r in requires), dist.metadata["Name"]


def test_the_image_installs_production_only_and_make_installs_both_by_hash():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q --require-hashes -r requirements.txt -r requirements-dev.txt" in makefile
    assert "--generate-hashes" in makefile


def test_the_product_never_imports_a_development_tool():
    modules = {"pytest", "hypothesis", "playwright", "mypy", "ruff", "piptools"}
    for package in ("campaigns", "telephony", "workers", "switchboard", "emulator"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for module in modules:
                assert not re.search(rf"^\s*(import|from) {module}\b", text, re.M), (path, module)
