"""The abandon rate as regulators count it: answered calls with no agent connected within 2 s
(never connected, or later), over answered calls; answer-to-agent percentiles by nearest rank."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Outcome
from campaigns.services.reporting.stats import campaign_stats
from tests.factories import make_attempt, make_campaign, make_target

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_abandon_rate_counts_answered_calls_with_no_agent_within_two_seconds(campaign, trunk,
                                                                              group):
    other = make_campaign(trunk, group)
    make_attempt(make_target(other), outcome=Outcome.ABANDONED, answered_at=T0)  # not counted
    # (outcome, answered, answer_to_agent_ms): 8 answered, 3 abandoned by the 2 s rule.
    plan = [
        (Outcome.ANSWERED, True, 300),
        (Outcome.ANSWERED, True, 400),
        (Outcome.ANSWERED, True, 500),
        (Outcome.ANSWERED, True, 900),
        (Outcome.ANSWERED, True, 2000),  # exactly 2 s: in time
        (Outcome.ANSWERED, True, 7000),  # connected, but late: abandoned for the regulator
        (Outcome.ABANDONED, True, None),  # the callee hung up while the agent rang
        (Outcome.ABANDONED, True, None),  # no agent in the failover window: abandon message
        (Outcome.BUSY, False, None),
        (Outcome.NODE_FAILURE, False, None),
    ]
    for i, (outcome, answered, wait_ms) in enumerate(plan):
        bridged = T0 + dt.timedelta(milliseconds=wait_ms) if wait_ms is not None else None
        make_attempt(make_target(campaign, number=f"+1212555{i:04d}"), outcome=outcome,
                     answered_at=T0 if answered else None, bridged_at=bridged,
                     answer_to_agent_ms=wait_ms)

    stats = campaign_stats(campaign)

    assert stats["attempts"]["by_outcome"]["abandoned"] == 2
    assert stats["abandoned"] == 3
    assert stats["abandon_rate"] == 0.375  # 3 of 8 answered
    assert stats["answer_to_agent_ms"] == {"p50": 500, "p95": 7000}
    assert stats["answer_rate"] == 0.6667  # 6 answered of 9 callee outcomes (abandoned is one)


def test_a_campaign_with_no_answered_call_has_no_abandon_rate(campaign):
    stats = campaign_stats(campaign)
    assert (stats["abandoned"], stats["abandon_rate"]) == (0, None)
    assert stats["answer_to_agent_ms"] == {"p50": None, "p95": None}
