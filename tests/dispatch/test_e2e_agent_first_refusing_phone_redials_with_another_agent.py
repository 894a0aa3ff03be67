"""End to end, agent_first: the first agent's phone answers 486 before the target is dialled
(`-ERR USER_BUSY`, capture 30). The agent is charged; the target is neither failed nor counted
and is dialled once, with the second agent."""

from __future__ import annotations

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    callee,
    commands,
    longest_idle_first,
    one_target,
    phone,
    start,
    wait_target,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NUMBER = "+14157771003"

world = agent_world_fixture(agents=2)


def test_agent_first_refusing_phone_redials_with_another_agent(world, celery_worker_factory,
                                                               celery_beat_factory):
    dnd, second = world.agents[world.nodes[0]]
    phone(world, dnd, "busy")
    callee(world, NUMBER, kind="answer", answer_ms=40, hangup_ms=1500)
    campaign = world.campaign(mode="agent_first", originate_timeout=10)
    start(world, celery_worker_factory, celery_beat_factory)
    longest_idle_first(world, dnd)
    target = one_target(campaign, NUMBER, extension="")

    target = wait_target(world, target, lambda t: t.state == TargetState.COMPLETED, 45,
                         "the call to complete")
    refused, answered = CallAttempt.objects.filter(target=target).order_by("attempt_number")
    assert (refused.outcome, refused.hangup_cause, refused.counts_as_attempt) == (
        Outcome.AGENT_UNAVAILABLE, "USER_BUSY", False)
    assert refused.agent_id == dnd.id and refused.answered_at is None
    assert (answered.outcome, answered.agent_id, answered.counts_as_attempt) == (
        Outcome.ANSWERED, second.id, True)
    assert target.attempts == 1
    # Two originates, one per agent; the trunk leg (the person) was set up only once.
    originates = [c["command"] for c in commands(world, "originate") if NUMBER in c["command"]]
    assert [f"user/{dnd.sip_user}@" in c for c in originates] == [True, False]
    assert f"user/{second.sip_user}@" in originates[1]
    legs = world.cluster.node(world.nodes[0]).call("channels")
    assert [leg["name"] for leg in legs if NUMBER in leg["name"]] == [
        f"sofia/external/{NUMBER}"]  # the trunk leg's channel name, as in capture 30
    dnd.refresh_from_db()
    assert dnd.penalty_reason == "busy"
