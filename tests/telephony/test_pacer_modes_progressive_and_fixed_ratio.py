"""Progressive places one call per free agent; a fixed ratio places ratio x free agents, minus
calls in flight, and falls back to progressive without abandon slack."""

from __future__ import annotations

import pytest

from telephony.predictive import DialMode, decide
from tests.telephony.pacer_world import floor


@pytest.mark.parametrize(("idle", "in_flight", "calls"),
                         [(5, 0, 5), (5, 3, 2), (5, 9, 0), (0, 0, 0)])
def test_progressive_places_one_call_per_free_agent(idle, in_flight, calls):
    decision = decide(floor(idle=idle, in_flight=in_flight, mode=DialMode.PROGRESSIVE))
    assert decision.calls == calls


@pytest.mark.parametrize(("ratio", "idle", "in_flight", "calls", "level"), [
    (2.0, 5, 0, 10, 2.0),
    (2.5, 4, 3, 7, 2.5),
    (1.5, 5, 10, 0, 2.0),
    (3.0, 0, 0, 0, None),
])
def test_a_fixed_ratio_places_ratio_calls_per_free_agent(ratio, idle, in_flight, calls, level):
    decision = decide(floor(idle=idle, in_flight=in_flight, mode=DialMode.RATIO, ratio=ratio))
    assert (decision.calls, decision.level) == (calls, level)


def test_a_fixed_ratio_without_abandon_slack_is_progressive():
    decision = decide(floor(idle=5, mode=DialMode.RATIO, ratio=3.0, answered=100, abandoned=3))
    assert (decision.calls, decision.level) == (5, 1.0)
