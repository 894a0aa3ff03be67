"""`bench/predictive.py --quick` runs the floor simulation on the product's pacer and prints every
figure, for every floor, as `name: value unit`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOORS = ["10a_10pct", "10a_40pct", "200a_10pct", "200a_40pct"]
FIGURES = [
    ("talk_minutes_per_agent_hour_progressive", "min"),
    ("talk_minutes_per_agent_hour_predictive", "min"),
    ("talk_minutes_per_agent_hour_vicidial_adapt", "min"),
    ("abandon_rate_pct_us30d_predictive", "%"),
    ("abandon_rate_pct_uk24h_predictive", "%"),
    ("max_window_abandon_pct", "%"),
]


def test_the_predictive_bench_prints_every_figure_for_every_floor():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "predictive.py"), "--quick"],
                         capture_output=True, text=True, timeout=900, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = {}
    for line in run.stdout.splitlines():
        match = re.fullmatch(r"([a-z0-9_]+): (-?[0-9.]+) (\S+)", line)
        assert match, f"not a `name: value unit` line: {line!r}"
        figures[match[1]] = (float(match[2]), match[3])
    for floor in FLOORS:
        for name, unit in FIGURES:
            value, said = figures[f"{name}_{floor}"]
            assert said == unit, (name, floor)
            assert value >= 0, (name, floor)
        # Predictive never does worse than progressive: it is progressive when in doubt.
        assert (figures[f"talk_minutes_per_agent_hour_predictive_{floor}"][0]
                >= figures[f"talk_minutes_per_agent_hour_progressive_{floor}"][0] - 0.5), floor
    # The stated distribution parameters are printed with the run.
    assert "talk lognormal mean 240 s" in run.stderr
