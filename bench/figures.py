"""The benchmarks' figures: the registry (bench/figures.toml), reading `name: value unit` lines,
and holding each figure against its goal. Standard library only."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

REGISTRY = Path(__file__).resolve().parent / "figures.toml"
LINE = re.compile(r"^([a-z][a-z0-9_]*): (-?\d+(?:\.\d+)?) (\S+)$")
GOAL = re.compile(r"^(<=|>=|==) (-?\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Spec:
    """One documented figure: a name pattern (`{size}` parts), its unit, its goal if any."""

    bench: str
    name: str
    unit: str
    goal: str | None = None
    source: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"\{[a-z_]+\}", self.name)
        return re.compile("^" + "[0-9a-z]+".join(re.escape(p) for p in parts) + "$")

    def meets(self, value: float) -> bool | None:
        """True or False against the goal; None when the figure has none."""
        if self.goal is None:
            return None
        match = GOAL.match(self.goal)
        if match is None:
            raise ValueError(f"{self.name}: bad goal {self.goal!r}")
        op, bound = match.group(1), float(match.group(2))
        return {"<=": value <= bound, ">=": value >= bound, "==": value == bound}[op]


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str


def registry(path: Path = REGISTRY) -> dict[str, list[Spec]]:
    """bench name -> its documented figures, in the order it prints them."""
    data = tomllib.loads(path.read_text())
    return {bench: [Spec(bench, **fig) for fig in entry["figures"]]
            for bench, entry in data.items()}


def parse(stdout: str) -> list[Figure]:
    """Every `name: value unit` line of a bench's stdout, in order."""
    out = []
    for line in stdout.splitlines():
        match = LINE.match(line.strip())
        if match:
            out.append(Figure(match.group(1), float(match.group(2)), match.group(3)))
    return out


def match(specs: list[Spec], figures: list[Figure]) -> tuple[list[tuple[Spec, Figure]],
                                                             list[Spec], list[Figure]]:
    """Pair each spec with the first unused printed figure its pattern and unit match.

    Returns (pairs, specs with no figure, figures no spec documents)."""
    left = list(figures)
    pairs, missing = [], []
    for spec in specs:
        found = next((f for f in left if spec.pattern.match(f.name) and f.unit == spec.unit),
                     None)
        if found is None:
            missing.append(spec)
        else:
            left.remove(found)
            pairs.append((spec, found))
    return pairs, missing, left
