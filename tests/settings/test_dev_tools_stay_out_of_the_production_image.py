"""Development tools live in requirements-dev.txt: the production image installs only
requirements.txt, the Makefile installs both, every pin is exact, nothing unused is pinned."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {
    "pytest", "pytest-django", "pytest-timeout", "hypothesis", "ruff", "mypy", "playwright",
}
PIN = re.compile(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.+-]*")


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    entries = [line for line in lines if line.strip() and not line.startswith("#")]
    loose = [line for line in entries if not PIN.fullmatch(line)]
    assert not loose, loose
    return {line.split("==")[0].lower(): line.split("==")[1] for line in entries}


def test_development_tools_are_pinned_apart_from_production():
    production, development = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert not DEV_TOOLS & set(production)
    assert set(development) >= DEV_TOOLS
    assert not set(production) & set(development)  # each package pinned once


def test_tablib_is_gone_since_nothing_needs_it():
    assert "tablib" not in _pins("requirements.txt") | _pins("requirements-dev.txt")
    # No installed distribution requires it (django-import-export, its one user, is not used).
    for dist in importlib.metadata.distributions():
        requires = [r for r in dist.requires or [] if "extra ==" not in r]
        assert not any(re.match(r"tablib\b", r, re.I) for r in requires), dist.metadata["Name"]


def test_the_image_installs_production_only_and_make_installs_both():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements.txt -r requirements-dev.txt" in makefile


def test_the_product_never_imports_a_development_tool():
    modules = {"pytest", "hypothesis", "playwright", "mypy", "ruff"}
    for package in ("campaigns", "telephony", "workers", "switchboard", "emulator"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for module in modules:
                assert not re.search(rf"^\s*(import|from) {module}\b", text, re.M), (path, module)
