"""End to end, target_first: the only free agent's phone is dead (503) when the callee answers
and nobody else is free. The callee holds on ringback for the failover window, hears the abandon
message, and the attempt ends `abandoned` (counted). The target is called again only after the
campaign's abandon delay, and then reaches an agent: two calls to the person, never a loop."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
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

NUMBER = "+14157775001"

world = agent_world_fixture(agents=2)


def test_no_agent_left_means_one_abandon_and_a_later_counted_retry(
        world, celery_worker_factory, celery_beat_factory):
    dead, later = world.agents[world.nodes[0]]
    campaign = target_first_call(world, celery_worker_factory, celery_beat_factory, agent=dead,
                                 agent_phone="dead", number=NUMBER, hangup_ms=8000,
                                 agent_ring_timeout=5, failover_window_seconds=3,
                                 retry_abandoned_seconds=3,
                                 abandon_message="tone:200/200/480x1", max_attempts=3)
    longest_idle_first(world, dead)
    world.presence.set_intent(later.presence_key, "paused", "not yet", "test", time.time())
    target = one_target(campaign, NUMBER, extension="")

    target = wait_target(world, target, lambda t: t.last_outcome == Outcome.ABANDONED, 45,
                         "the first call to be abandoned")
    (first,) = CallAttempt.objects.filter(target=target)
    assert (first.outcome, first.counts_as_attempt, first.agent_failovers) == (
        Outcome.ABANDONED, True, 0)
    assert first.answered_at is not None and first.bridged_at is None
    # The plan's own mark after the message: the compliance evidence's proof that it played.
    assert first.abandon_message_at is not None and first.abandon_message_at <= first.ended_at
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 1)
    assert target.next_attempt_at >= first.ended_at + dt.timedelta(seconds=3)
    # The callee heard the abandon message (one transfer to it), then a normal hangup.
    (abandon,) = commands(world, "uuid_transfer")
    assert ("playback:tone_stream://%(200,200,480);loops=1|set:switchboard_abandon=played|"
            "hangup:NORMAL_CLEARING") in abandon["command"]
    dead.refresh_from_db()
    assert dead.penalty_reason == "unreachable"
    assert len(originates_to(world, NUMBER)) == 1

    # A person becomes free; the retry waits its delay and reaches them.
    world.presence.set_intent(later.presence_key, "available", "", "test", time.time())
    target = wait_target(world, target, lambda t: t.state == TargetState.COMPLETED, 45,
                         "the retry to reach an agent")
    first_again, second = CallAttempt.objects.filter(target=target).order_by("attempt_number")
    assert second.created_at >= first_again.ended_at + dt.timedelta(seconds=3)
    assert (second.outcome, second.agent_id) == (Outcome.ANSWERED, later.id)
    assert target.attempts == 2
    assert len(originates_to(world, NUMBER)) == 2
