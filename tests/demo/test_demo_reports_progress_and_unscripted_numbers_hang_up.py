"""The demo prints one progress line a minute, and a number nobody scripted (a target added by
hand) answers and hangs up after a while instead of holding its agent forever."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import demo_agents  # noqa: E402
from demo_passes import ProgressReporter  # noqa: E402

from tests.factories import make_attempt, make_campaign, make_target  # noqa: E402


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def set_outcome(self, pattern: str, **outcome) -> None:
        self.calls.append((pattern, outcome))


def test_every_unscripted_number_hangs_up_after_a_while():
    control = Recorder()
    demo_agents.script_far_ends(control, "+1415777")
    catch_all = [outcome for pattern, outcome in control.calls if pattern == "*"]
    assert catch_all == [{"kind": "answer", "answer_ms": 2000, "hangup_ms": 45_000}]


def test_one_progress_line_a_minute(db):
    campaign = make_campaign()
    make_attempt(make_target(campaign))
    make_attempt(make_target(campaign), answered_at="2026-01-01T10:00:00Z")
    make_attempt(make_target(campaign), answered_at="2026-01-01T10:00:00Z",
                 bridged_at="2026-01-01T10:00:02Z")
    said: list[str] = []
    reporter = ProgressReporter(said.append, interval=60)
    start = reporter._next - 60
    for second in range(0, 181, 1):
        reporter.check(start + second)
    assert said == ["calls: 3 placed, 2 answered, 1 connected"] * 3
