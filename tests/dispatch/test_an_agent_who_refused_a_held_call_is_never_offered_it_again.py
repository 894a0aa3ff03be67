"""Issue 16 item 9: after an agent's phone refused (or missed) a held callee, the failover never
hands that callee back to the same agent, even when its penalty delay (reject 10 s by default)
ends inside the failover window (20 s). Capture 35: agent 1001 answers 486 after the callee
answered; the callee holds for another agent."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent
from campaigns.services.call_path.failover import fail_over
from telephony.call_records import load_call
from tests.dispatch.captured_calls import call_world, capture_events, job_for
from tests.dispatch.test_failed_agent_leg_keeps_the_callee_and_fails_over_to_another_agent import (
    Commands,
    Dialer,
    _transfer_point,
)

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000035"


def _held_after_a_refusal(redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("35-")
    world.setup(mode="target_first", max_agent_failovers=3, failover_window_seconds=20,
                abandon_message="file:/srv/sounds/sorry.wav")
    # The refusing agent sits out 1 s only: its penalty ends well inside the window.
    Agent.objects.filter(sip_user="1001").update(busy_delay_seconds=1, reject_delay_seconds=1)
    _, attempt = world.call("1001", A, attempt_id=350, job_uuid=job_for(events, "+OK"))
    for event in events[:_transfer_point(events)]:
        world.results.apply(event, dt.datetime.now(tz=dt.UTC))
    record = load_call(redis_client, key_prefix, A)
    assert record is not None and record.tried == ("1001@127.0.0.1",)
    return world, attempt, record


def test_the_refusing_agent_free_again_is_not_offered_the_held_callee(
        transactional_db, redis_client, key_prefix):
    world, attempt, record = _held_after_a_refusal(redis_client, key_prefix)
    later = time.time() + 3  # 1001's delay is over, the window (20 s) is not
    assert world.store.snapshot(["1001@127.0.0.1"], later)["1001@127.0.0.1"].routable
    world.store.set_intent("1000@127.0.0.1", "paused", "lunch", "test", later)

    commands = Commands()
    # Nobody but the refusing agent could take it: the abandon message now, no second ring.
    assert fail_over(attempt.id, Dialer(world, commands), now=later) == ("abandoned", 0.0)
    assert commands.sent == [("fs1", f"uuid_transfer {A} 'm:|:playback:/srv/sounds/sorry.wav|"
                                     "set:switchboard_abandon=played|hangup:NORMAL_CLEARING' "
                                     "inline")]
    assert world.store.snapshot(["1001@127.0.0.1"], later)["1001@127.0.0.1"].routable


def test_another_agent_still_gets_the_held_callee(transactional_db, redis_client, key_prefix):
    world, attempt, _ = _held_after_a_refusal(redis_client, key_prefix)
    later = time.time() + 3
    commands = Commands()
    assert fail_over(attempt.id, Dialer(world, commands), now=later) == ("transferred", 0.0)
    ((_, command),) = commands.sent
    assert "user/1000@127.0.0.1" in command and "1001" not in command
