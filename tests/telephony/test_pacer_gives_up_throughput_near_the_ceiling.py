"""Near the abandon ceiling the pacer dials less, and with under two abandons of slack left in the
window it is progressive (no person can be left without an agent): throughput goes, never
compliance."""

from __future__ import annotations

import pytest

from telephony.predictive import AbandonFormula, decide
from tests.telephony.pacer_world import floor

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
