"""campaign_stats counts targets by state and attempts by outcome with a few aggregate queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Outcome, TargetState
from campaigns.services.reporting.stats import campaign_stats
from tests.factories import make_attempt, make_campaign, make_target


def test_stats_count_states_outcomes_answer_rate_and_causes(campaign, trunk, group):
    other = make_campaign(trunk, group)
    make_attempt(make_target(other), outcome=Outcome.ANSWERED)  # never counted here
    plan = [
        (TargetState.COMPLETED, Outcome.ANSWERED, "NORMAL_CLEARING", 30, True),
        (TargetState.COMPLETED, Outcome.ANSWERED, "NORMAL_CLEARING", 12, True),
        (TargetState.RETRY_WAIT, Outcome.BUSY, "USER_BUSY", 0, True),
        (TargetState.RETRY_WAIT, Outcome.NO_ANSWER, "NO_ANSWER", 0, True),
        (TargetState.PENDING, Outcome.NODE_FAILURE, "DESTINATION_OUT_OF_ORDER", 0, False),
        (TargetState.DIALING, Outcome.PENDING, "", 0, True),
    ]
    for i, (state, outcome, cause, billsec, counts) in enumerate(plan):
        target = make_target(campaign, number=f"+1212555{i:04d}", state=state)
        make_attempt(
            target, outcome=outcome, hangup_cause=cause, billsec=billsec, counts_as_attempt=counts
        )
    make_target(campaign, number="+12125559999", state=TargetState.DO_NOT_CALL)

    with CaptureQueriesContext(connection) as queries:
        stats = campaign_stats(campaign)

    assert len(queries) == 5  # states, outcomes, totals, causes, abandon counts
    assert stats["targets"]["total"] == 7
    assert stats["targets"]["by_state"] == {
        "pending": 1,
        "queued": 0,
        "dialing": 1,
        "retry_wait": 2,
        "completed": 2,
        "failed": 0,
        "cancelled": 0,
        "do_not_call": 1,
    }
    assert stats["attempts"]["total"] == 6
    assert stats["attempts"]["counted"] == 5
    assert stats["attempts"]["in_progress"] == 1
    assert stats["attempts"]["by_outcome"]["answered"] == 2
    assert stats["attempts"]["by_outcome"]["node_failure"] == 1
    assert stats["answered"] == 2
    assert stats["answer_rate"] == 0.5  # 2 answered of 4 callee outcomes
    assert stats["billsec"] == 42
    assert stats["hangup_causes"] == [
        {"cause": "NORMAL_CLEARING", "calls": 2},
        {"cause": "DESTINATION_OUT_OF_ORDER", "calls": 1},
        {"cause": "NO_ANSWER", "calls": 1},
        {"cause": "USER_BUSY", "calls": 1},
    ]


def test_a_campaign_without_calls_has_no_answer_rate(campaign):
    stats = campaign_stats(campaign)
    assert stats["answer_rate"] is None
    assert stats["attempts"]["total"] == 0
    assert stats["targets"]["total"] == 0
