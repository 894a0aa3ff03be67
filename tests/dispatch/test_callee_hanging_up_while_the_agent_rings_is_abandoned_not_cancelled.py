"""Capture 28: the callee hangs up while the agent's phone rings (ORIGINATOR_CANCEL on the agent
leg, `recv_bye`). That is the callee's outcome: `abandoned`, counted, retried after the
campaign's abandon delay; never `cancelled`, and the agent is not charged for it."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Agent, Outcome, TargetState
from telephony.call_records import load_call
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000028"


def test_callee_hanging_up_while_the_agent_rings_is_abandoned_not_cancelled(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("28-")
    world.setup(mode="target_first", retry_abandoned_seconds=1800, max_attempts=3)
    target, attempt = world.call("1001", A, attempt_id=128, job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]
    assert "callee_left" in done and "abandoned" in done and "agent_failed" not in done
    assert world.failed_over == []
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.ABANDONED, True)
    # The callee's own leg ended NORMAL_CLEARING (recv_bye); the agent leg was cancelled.
    assert (attempt.hangup_cause, attempt.agent_leg_cause) == (
        "NORMAL_CLEARING", "ORIGINATOR_CANCEL")
    assert attempt.answered_at is not None and attempt.bridged_at is None
    assert attempt.answer_to_agent_ms is None
    assert (target.state, target.attempts, target.last_outcome) == (
        TargetState.RETRY_WAIT, 1, Outcome.ABANDONED)
    assert target.next_attempt_at == now + dt.timedelta(seconds=1800)
    agent = Agent.objects.get(sip_user="1001")
    assert (agent.penalty_reason, agent.penalty_until) == ("", None)
    assert world.routable("1001")
    assert load_call(redis_client, key_prefix, A) is None
