"""The abandon rate under each formula: US (drops / persons), UK (AMD false positives counted as
abandons of persons), Ofcom's no-AMD reduction by the machines agents saw, and the windows."""

from __future__ import annotations

import pytest

from telephony.predictive import (
    AbandonFormula,
    abandon_rate,
    ofcom_no_amd_rate,
    window_seconds,
)


@pytest.mark.parametrize(("formula", "live", "abandoned", "fp", "rate"), [
    (AbandonFormula.US_30D, 1000, 25, 0.0, 0.025),
    (AbandonFormula.US_30D, 1000, 25, 10.0, 0.025),  # the US base ignores machines
    (AbandonFormula.UK_24H, 1000, 25, 0.0, 0.025),
    (AbandonFormula.UK_24H, 990, 20, 10.0, 0.03),  # (20 + 10) / (990 + 10)
    (AbandonFormula.US_30D, 0, 0, 0.0, None),
    (AbandonFormula.UK_24H, 0, 0, 0.0, None),
])
def test_abandon_rate_under_each_formula(formula, live, abandoned, fp, rate):
    assert abandon_rate(formula, live, abandoned, fp) == rate


def test_ofcoms_no_amd_rate_matches_vicidials_worked_example():
    # 29 drops, 9 handled live, 7 machines seen by agents -> 64.44 %.
    assert round(ofcom_no_amd_rate(29, 9, 7) * 100, 2) == 64.44
    assert ofcom_no_amd_rate(0, 0, 0) is None


def test_the_windows_are_thirty_days_and_twenty_four_hours():
    assert window_seconds(AbandonFormula.US_30D) == 30 * 86400
    assert window_seconds(AbandonFormula.UK_24H) == 86400
