"""Near the abandon ceiling the pacer dials less, and with under two abandons of slack left in the
window it is progressive (no person can be left without an agent): throughput goes, never
compliance."""

from __future__ import annotations

from dataclasses import replace

import pytest

from telephony.predictive import AbandonFormula, decide
from tests.telephony.pacer_world import floor, measured

# (abandoned in a window of 5000 answered; ceiling 3 % = 150)
ROWS = [0, 100, 140, 147, 149.5, 150, 160]


def test_calls_placed_never_grow_as_the_window_nears_the_ceiling():
    calls = [decide(floor(answered=5000, abandoned=a)).calls for a in ROWS]
    assert calls == sorted(calls, reverse=True), calls
    assert calls[0] > calls[3], calls  # it does give up throughput before the ceiling


@pytest.mark.parametrize("abandoned", [148.5, 149.5, 150, 160])
def test_under_two_abandons_of_slack_the_pacer_is_progressive(abandoned):
    decision = decide(floor(idle=5, in_flight=1, answered=5000, abandoned=abandoned))
    assert (decision.calls, decision.level) == (4, 1.0)
    assert decision.reason.startswith("abandon slack below 2 calls"), decision.reason


def test_the_uk_formula_counts_the_amd_false_positive_estimate_against_the_slack():
    # The same drops, plus a 1 % AMD false-positive estimate on both sides (UK), leave less slack.
    us = decide(floor(answered=5000, abandoned=100))
    uk = decide(floor(answered=5050, abandoned=150, formula=AbandonFormula.UK_24H))
    assert uk.slack < us.slack
    assert uk.calls < us.calls


def test_the_reason_names_the_rates_the_level_comes_from():
    decision = decide(floor(answered=5000, abandoned=50))
    assert "reach a person after" in decision.reason
    assert "ceiling 3.0%" in decision.reason


def test_at_85_percent_of_the_ceiling_only_calls_that_abandon_nobody_are_placed():
    # 2.55 % of 5000 answered: the window's rate reached 0.85 x 3 %; plenty of slack left.
    decision = decide(floor(idle=5, in_flight=1, answered=5000, abandoned=127.5))
    assert decision.slack > 20
    assert (decision.calls, decision.level) == (4, 1.0)


def test_recent_abandons_above_the_target_make_the_pacer_more_careful():
    calm = decide(floor(m=replace(measured(), recent_persons=150, recent_abandoned=0)))
    burnt = decide(floor(m=replace(measured(), recent_persons=150, recent_abandoned=15)))
    assert burnt.calls < calm.calls
