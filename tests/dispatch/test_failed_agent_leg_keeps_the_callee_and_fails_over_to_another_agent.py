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
from campaigns.services.call_path.failover import fail_over
from telephony.call_records import load_call
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
    # 1000 is on another call: it may end any moment, so the callee holds on.
    other = world.store.reserve(world.campaign.agent_group.name, ["fs1"], time.time(), 600)
    assert other is not None and other.agent == "1000@127.0.0.1"

    commands = Commands()
    dialer = Dialer(world, commands)
    assert fail_over(attempt.id, dialer) == ("waiting", 1.0)  # nobody free yet: look again
    assert commands.sent == []
    record = load_call(redis_client, key_prefix, A)
    assert fail_over(attempt.id, dialer, now=record.hold_until + 1) == ("abandoned", 0.0)
    assert commands.sent == [("fs1", f"uuid_transfer {A} 'm:|:playback:/srv/sounds/sorry.wav|"
                                     "set:switchboard_abandon=played|"
                                     "hangup:NORMAL_CLEARING' inline")]


@pytest.mark.parametrize("why", ["paused", "unreachable"])
def test_with_no_agent_that_could_become_free_the_abandon_message_plays_at_once(
        transactional_db, redis_client, key_prefix, why):
    """Lab report O1: the only other agent is paused (or its contact is dead) and the failed one
    sits out a busy delay (60 s) longer than the window: no ringback to the window's end."""
    world = call_world(redis_client, key_prefix)
    events = capture_events("35-")
    world.setup(mode="target_first", failover_window_seconds=20,
                abandon_message="file:/srv/sounds/sorry.wav")
    _, attempt = world.call("1001", A, attempt_id=350, job_uuid=job_for(events, "+OK"))
    for event in events[:_transfer_point(events)]:
        world.results.apply(event, dt.datetime.now(tz=dt.UTC))
    now = time.time()
    # The failed agent sits out its busy delay (60 s, longer than the window).
    failed = world.store.snapshot(["1001@127.0.0.1"], now)["1001@127.0.0.1"]
    assert failed.activity == "wrapup" and failed.activity_until > now + 20
    if why == "paused":
        world.store.set_intent("1000@127.0.0.1", "paused", "lunch", "test", now)
    else:
        held = world.store.reserve(world.campaign.agent_group.name, ["fs1"], now, 30)
        assert held is not None and held.agent == "1000@127.0.0.1"
        world.store.release_agent_unreachable(held.token, "fs1", now, 0)
    assert not world.store.may_free_up(world.campaign.agent_group.name, "fs1", now, now + 20)

    commands = Commands()
    assert fail_over(attempt.id, Dialer(world, commands)) == ("abandoned", 0.0)
    assert commands.sent == [("fs1", f"uuid_transfer {A} 'm:|:playback:/srv/sounds/sorry.wav|"
                                     "set:switchboard_abandon=played|"
                                     "hangup:NORMAL_CLEARING' inline")]
