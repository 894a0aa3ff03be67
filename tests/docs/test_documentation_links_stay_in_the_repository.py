"""Every link in the README and docs/ points at a file of this repository, and none leaves it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "emulator" / "README.md"]


def links(page: Path) -> list[str]:
    return LINK.findall(page.read_text())


def test_every_link_names_a_file_in_the_repository():
    broken = []
    for page in PAGES:
        for target in links(page):
            path = target.split("#", 1)[0]
            resolved = (page.parent / path).resolve()
            if "://" in target or target.startswith("//"):
                broken.append(f"{page.relative_to(REPO)}: {target} leaves the repository")
            elif path and (not resolved.exists() or not resolved.is_relative_to(REPO)):
                broken.append(f"{page.relative_to(REPO)}: {target} names no file here")
    assert broken == []


def test_every_docs_page_is_linked_from_the_front_page_or_another_page():
    linked = {
        (page.parent / target.split("#", 1)[0]).resolve()
        for page in PAGES
        for target in links(page)
        if target.split("#", 1)[0]
    }
    orphans = [p.name for p in sorted((REPO / "docs").glob("*.md")) if p.resolve() not in linked]
    assert orphans == []


def test_the_checker_sees_a_link_that_leaves_and_one_that_names_nothing():
    assert LINK.findall("see [x](https://example.com/a) and [y](docs/nothing.md#z)") == [
        "https://example.com/a",
        "docs/nothing.md#z",
    ]
