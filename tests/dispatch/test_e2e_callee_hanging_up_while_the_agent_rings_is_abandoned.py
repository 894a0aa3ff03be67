"""End to end, target_first: the agent's phone rings and the callee hangs up before it is
answered (ORIGINATOR_CANCEL on the agent leg, capture 28). The callee's outcome: `abandoned`
(counted, never `cancelled`), one call to the person; the agent is not charged."""

from __future__ import annotations

import time

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    one_target,
    originates_to,
    target_first_call,
    wait_target,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NUMBER = "+14157771002"

world = agent_world_fixture(agents=1)


def test_callee_hanging_up_while_the_agent_rings_is_abandoned(world, celery_worker_factory,
                                                              celery_beat_factory):
    (ringing,) = world.agents[world.nodes[0]]
    campaign = target_first_call(world, celery_worker_factory, celery_beat_factory,
                                 agent=ringing, agent_phone="no_answer", number=NUMBER,
                                 hangup_ms=2500, agent_ring_timeout=20, max_attempts=1)
    target = one_target(campaign, NUMBER, extension="")

    target = wait_target(world, target, lambda t: t.state == TargetState.FAILED, 45,
                         "the call to end")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.outcome, attempt.counts_as_attempt, target.last_outcome) == (
        Outcome.ABANDONED, True, Outcome.ABANDONED)
    # The callee's own leg ended NORMAL_CLEARING (recv_bye); the agent leg was cancelled.
    assert (attempt.hangup_cause, attempt.agent_leg_cause) == (
        "NORMAL_CLEARING", "ORIGINATOR_CANCEL")
    assert attempt.answered_at is not None and attempt.bridged_at is None
    assert target.attempts == 1
    assert len(originates_to(world, NUMBER)) == 1
    ringing.refresh_from_db()
    assert (ringing.penalty_reason, ringing.no_answer_count) == ("", 0)
    view = world.presence.snapshot([ringing.presence_key], time.time())[ringing.presence_key]
    assert view.routable
