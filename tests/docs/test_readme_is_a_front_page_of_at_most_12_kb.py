"""The README is a front page a newcomer reads in ten minutes: at most 12 KB, the rest in docs/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_is_at_most_12_kb():
    size = len((REPO / "README.md").read_bytes())
    assert size <= 12 * 1024, f"README.md is {size} bytes; move detail into a docs/ page"


def test_readme_has_the_front_page_sections_in_order():
    text = (REPO / "README.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## The two commands",
        "## The first fifteen minutes",
        "## Pages and tools",
        "## Tests",
    ]
