"""`bench/connect.py --quick` runs against its own emulated node and prints every figure of the
media-aware connect as `name: value unit`, and nothing else on stdout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "digits_over_greeting_pct_blind": "%",
    "digits_over_greeting_pct_attendant": "%",
    "digits_over_greeting_pct_attendant_pausing": "%",
    "agent_seconds_before_person_blind": "s",
    "agent_seconds_before_person_hello": "s",
    "hello_to_agent_p50_ms": "ms",
    "hello_to_agent_p95_ms": "ms",
    "hello_to_agent_p50_ms_ring_on_demand": "ms",
    "hello_to_agent_p95_ms_ring_on_demand": "ms",
    "machine_detected_pct": "%",
    "person_called_machine_pct": "%",
}
LINE = re.compile(r"([a-z0-9_]+): (-?[0-9]+(?:\.[0-9]+)?) (%|s|ms)")

pytestmark = [pytest.mark.timeout(180)]


def test_quick_mode_prints_each_figure_once():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "connect.py"), "--quick"],
                         capture_output=True, text=True, timeout=170, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    figures = {}
    for line in lines:
        match = LINE.fullmatch(line)
        assert match, f"not a figure line: {line!r}"
        figures[match.group(1)] = (float(match.group(2)), match.group(3))
    assert {name: unit for name, (_, unit) in figures.items()} == FIGURES
    assert len(lines) == len(FIGURES)
    # The blind plan's digits go over a greeting; sessions bridge faster than ringing a phone.
    assert figures["digits_over_greeting_pct_blind"][0] > 0
    assert figures["hello_to_agent_p50_ms"][0] < figures["hello_to_agent_p50_ms_ring_on_demand"][0]
