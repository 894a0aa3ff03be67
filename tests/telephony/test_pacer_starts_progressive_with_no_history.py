"""Cold start: with too little measured (attempts, persons, talks ended) the pacer is progressive:
one call per agent free now, counting the calls already in flight."""

from __future__ import annotations

from dataclasses import replace

import pytest

from telephony.predictive import Measured, decide
from tests.telephony.pacer_world import floor, measured

FULL = measured()


@pytest.mark.parametrize(("history", "why"), [
    (Measured(), "nothing measured"),
    (replace(FULL, resolved=29), "under 30 resolved attempts"),
    (replace(FULL, persons=4), "under 5 persons reached"),
    (replace(FULL, talk=FULL.talk[:40]), "fewer talks ended than agents (50)"),
])
def test_the_pacer_starts_progressive_with_no_history(history, why):
    decision = decide(floor(agents=50, idle=5, in_flight=2, m=history))
    assert (decision.calls, decision.level) == (3, 1.0), why
    assert decision.reason.startswith("cold start"), decision.reason


def test_a_new_campaign_with_no_answered_call_in_its_window_is_progressive():
    decision = decide(floor(agents=50, idle=5, answered=0, abandoned=0))
    assert (decision.calls, decision.level) == (5, 1.0)
    assert decision.reason.startswith("abandon slack below 2 calls"), decision.reason


def test_the_same_floor_with_history_dials_more_than_one_call_per_free_agent():
    decision = decide(floor(agents=50, idle=5))
    assert decision.calls > 5
    assert decision.level is not None and decision.level > 1.0
