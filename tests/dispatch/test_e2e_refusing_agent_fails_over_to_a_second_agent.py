"""End to end, target_first: the reserved agent's phone is on DND (486) when the callee answers.
The callee is called once, stays on the line, and is connected to a second agent by one
`uuid_transfer`; the extension left in full before any agent was dialled; the first agent is
charged (busy delay), the second is on the call, the attempt is `answered` with its timings.

Real parts: the emulator over TCP, `listen`, `consume_events`, a Celery worker and beat."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent, CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    commands,
    longest_idle_first,
    one_target,
    originates_to,
    target_first_call,
    wait_target,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NUMBER = "+14157771001"

world = agent_world_fixture(agents=2)


def test_refusing_agent_fails_over_to_a_second_agent(world, celery_worker_factory,
                                                      celery_beat_factory):
    dnd, second = world.agents[world.nodes[0]]
    campaign = target_first_call(world, celery_worker_factory, celery_beat_factory, agent=dnd,
                                 agent_phone="busy", number=NUMBER, hangup_ms=5000,
                                 agent_ring_timeout=5, failover_window_seconds=10,
                                 max_agent_failovers=2)
    longest_idle_first(world, dnd)
    target = one_target(campaign, NUMBER, extension="123")

    target = wait_target(world, target, lambda t: t.state == TargetState.COMPLETED, 60,
                         "the call to complete")

    # One call to the person, one transfer to the second agent: never a redial.
    assert len(originates_to(world, NUMBER)) == 1
    transfers = commands(world, "uuid_transfer")
    assert len(transfers) == 1
    assert f"user/{second.sip_user}@{second.sip_domain}" in transfers[0]["command"]
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.outcome, attempt.counts_as_attempt, attempt.agent_failovers) == (
        Outcome.ANSWERED, True, 1)
    assert attempt.agent_id == second.id and target.attempts == 1
    assert attempt.answered_at < attempt.dtmf_sent_at < attempt.bridged_at
    assert attempt.answer_to_agent_ms is not None
    assert attempt.answer_to_agent_ms == pytest.approx(
        (attempt.bridged_at - attempt.dtmf_sent_at).total_seconds() * 1000, abs=2)

    # The far end heard all three digits before the agent was dialled (capture 34's rule).
    heard = world.channel(attempt.node, str(attempt.uuid))["dtmf"]
    assert [d["digit"] for d in heard] == ["1", "2", "3"]
    last = max(d["played_at"] + d["duration_ms"] / 1000 for d in heard)
    assert dt.datetime.fromtimestamp(last, tz=dt.UTC) <= attempt.dtmf_sent_at + dt.timedelta(
        milliseconds=50)

    # The refusing agent is charged and not routable; the second one is back after wrap-up.
    dnd.refresh_from_db()
    assert dnd.penalty_reason == "busy" and dnd.penalty_until > attempt.ended_at
    views = world.presence.snapshot([dnd.presence_key, second.presence_key], time.time())
    assert not views[dnd.presence_key].routable
    assert views[dnd.presence_key].activity == "wrapup"  # the busy delay
    assert Agent.objects.get(id=second.id).penalty_reason == ""
