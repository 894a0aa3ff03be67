"""Capture 30: agent_first, the agent's phone answers 486 before the target is dialled
(`-ERR USER_BUSY`). The agent is charged; the target is not failed and not counted, however
often it happens, and waits for another agent."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from campaigns.models import Agent, CallAttempt, Outcome, TargetState
from campaigns.services.call_path.results import MAX_UNCOUNTED_FAILURES
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration


def test_agent_first_refusing_phone_never_spends_the_targets_budget(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("30-")
    world.setup(mode="agent_first")
    target, attempt = world.call("1001", "00000000-0000-4000-8000-000000000030",
                                 attempt_id=130, job_uuid=job_for(events, "-ERR"))
    # Earlier refusals by other phones: more than the budget of node failures.
    for n in range(MAX_UNCOUNTED_FAILURES + 2):
        CallAttempt.objects.create(
            target=target, campaign=world.campaign, attempt_number=100 + n, uuid=uuid.uuid4(),
            outcome=Outcome.AGENT_UNAVAILABLE, counts_as_attempt=False,
            ended_at=dt.datetime.now(tz=dt.UTC))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]
    assert "agent_unavailable" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.hangup_cause, attempt.counts_as_attempt) == (
        Outcome.AGENT_UNAVAILABLE, "USER_BUSY", False)
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 0)
    agent = Agent.objects.get(sip_user="1001")
    assert agent.penalty_reason == "busy"
    assert not world.routable("1001") and world.routable("1000")
