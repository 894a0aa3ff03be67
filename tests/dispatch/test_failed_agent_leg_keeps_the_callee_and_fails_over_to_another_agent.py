"""target_first, capture 35: the reserved agent's phone answers 486 (DND) after the callee
answered. With `continue_on_fail` the callee stays up; the agent is charged (busy delay), the
reservation given back, a failover requested; the failover reserves the second agent on the
callee's node and sends one `uuid_transfer`; the call then bridges to it and ends `answered`,
with its answer-to-agent time."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent, CallAttempt, Outcome, TargetState
from campaigns.services.dialing import load_call
from campaigns.services.failover import fail_over
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000035"


def _transfer_point(events) -> int:
    """Where the capture's uuid_transfer took effect: park ends on the callee's leg."""
    return next(i for i, e in enumerate(events) if e.name == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application") == "park" and e.get("Unique-ID") == A)


class Commands:
    """The node's api path: records the commands, answers as FreeSWITCH did in capture 35."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def api(self, node: str, command: str) -> str:
        self.sent.append((node, command))
        return "+OK\n"


class Dialer:
    def __init__(self, world, commands) -> None:
        self.redis, self.prefix = world.redis, world.prefix
        self.presence, self.commands = world.store, commands


def test_failed_agent_leg_keeps_the_callee_and_fails_over_to_another_agent(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("35-")
    world.setup(mode="target_first", max_agent_failovers=2, failover_window_seconds=20)
    target, attempt = world.call("1001", A, attempt_id=350, job_uuid=job_for(events, "+OK"))
    transfer = _transfer_point(events)
    now = dt.datetime.now(tz=dt.UTC)

    # Up to the park after the failed bridge: the agent leg failed, the callee holds.
    done = [world.results.apply(e, now) for e in events[:transfer]]
    assert "agent_failed" in done and "ended" not in done
    assert world.failed_over == [attempt.id]
    attempt.refresh_from_db()
    assert attempt.ended_at is None and attempt.answered_at is not None
    record = load_call(redis_client, key_prefix, A)
    assert record is not None and (record.agent, record.token) == ("", "")
    assert record.hold_until > time.time()
    busy = Agent.objects.get(sip_user="1001")
    assert (busy.penalty_reason, busy.no_answer_count) == ("busy", 0)
    assert busy.penalty_until == now + dt.timedelta(seconds=busy.busy_delay_seconds)
    assert not world.routable("1001") and world.routable("1000")

    # The failover step (the Celery task's body): one reservation, one uuid_transfer.
    commands = Commands()
    assert fail_over(attempt.id, Dialer(world, commands)) == ("transferred", 0.0)
    ((node, command),) = commands.sent
    assert node == "fs1"
    assert command.startswith(f"uuid_transfer {A} 'm:|:bridge:{{leg_timeout=15}}"
                              "user/1000@127.0.0.1|playback:tone_stream://")
    assert command.endswith("|hangup:NORMAL_CLEARING' inline")
    attempt.refresh_from_db()
    assert attempt.agent_failovers == 1 and attempt.agent.sip_user == "1000"
    assert load_call(redis_client, key_prefix, A).agent == "1000@127.0.0.1"
    # A second run for the same failure changes nothing (the call holds an agent now).
    assert fail_over(attempt.id, Dialer(world, commands))[0] == "has_agent"

    # The rest of the capture: bridged to 1000, then both hang up.
    rest = [world.results.apply(e, now) for e in events[transfer:]]
    assert "bridged" in rest
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.ANSWERED, True)
    assert attempt.answer_to_agent_ms is not None and attempt.answer_to_agent_ms > 0
    assert attempt.bridged_at > attempt.answered_at
    assert (target.state, target.attempts) == (TargetState.COMPLETED, 1)
    assert CallAttempt.objects.filter(target=target).count() == 1  # one call to the person
    assert load_call(redis_client, key_prefix, A) is None
    assert world.pacer.count("node:fs1") == 0


def test_no_other_agent_within_the_window_plays_the_abandon_message(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("35-")
    world.setup(mode="target_first", failover_window_seconds=20,
                abandon_message="file:/srv/sounds/sorry.wav")
    _, attempt = world.call("1001", A, attempt_id=350, job_uuid=job_for(events, "+OK"))
    transfer = _transfer_point(events)
    now = dt.datetime.now(tz=dt.UTC)
    for event in events[:transfer]:
        world.results.apply(event, now)
    world.store.set_intent("1000@127.0.0.1", "paused", "lunch", "test", time.time())

    commands = Commands()
    dialer = Dialer(world, commands)
    assert fail_over(attempt.id, dialer) == ("waiting", 1.0)  # nobody free yet: look again
    assert commands.sent == []
    record = load_call(redis_client, key_prefix, A)
    assert fail_over(attempt.id, dialer, now=record.hold_until + 1) == ("abandoned", 0.0)
    assert commands.sent == [("fs1", f"uuid_transfer {A} 'm:|:playback:/srv/sounds/sorry.wav|"
                                     "hangup:NORMAL_CLEARING' inline")]
