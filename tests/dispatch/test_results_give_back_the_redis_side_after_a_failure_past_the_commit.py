"""Issue 16 item 10: each event is applied in one transaction and its Redis effects run after the
commit, recorded on the attempt (`released_at`). When Redis fails right after an outcome was
committed, the agent and the live-call slot are not lost: the consumer's replay of the event
gives them back, and so does the periodic sweep when nobody replays it. A replayed bridge
still marks the agent on-call.

Capture 24 (target_first, answered, bridged) on real PostgreSQL and Redis; the failure is a
real redis ConnectionError raised once by a thin wrapper around the real presence store (the
test's switch for "Redis went away at that moment").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
import redis

from campaigns.models import CallAttempt, Outcome, TargetState
from campaigns.services.call_path.results import release_unreleased
from telephony.call_records import load_call
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000024"
AGENT = "1000@127.0.0.1"


class FailsOnce:
    """The real presence store, whose `method` raises redis.ConnectionError the first time."""

    def __init__(self, real, method: str) -> None:
        self.real, self.method, self.failed = real, method, False

    def __getattr__(self, name: str):
        attr = getattr(self.real, name)
        if name != self.method or self.failed:
            return attr

        def fail(*_args, **_kwargs):
            self.failed = True
            raise redis.ConnectionError("Redis went away (test)")
        return fail


def _world(redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("24")
    world.setup(mode="target_first")
    target, attempt = world.call("1000", A, attempt_id=77, job_uuid=job_for(events, "+OK"))
    return world, events, target, attempt


def _index(events, name: str) -> int:
    return next(i for i, e in enumerate(events)
                if e.name == name and e.get("Unique-ID") == A)


def _activity(world) -> str:
    return world.store.snapshot([AGENT], time.time())[AGENT].activity


def _hangup_fails_after_its_commit(world, events, now):
    hangup = _index(events, "CHANNEL_HANGUP_COMPLETE")
    for event in events[:hangup]:
        world.results.apply(event, now)
    flaky = dataclasses.replace(world.results, presence=FailsOnce(world.store, "release"))
    with pytest.raises(redis.ConnectionError):
        flaky.apply(events[hangup], now)
    return events[hangup]


def test_a_redis_failure_after_the_outcome_commit_is_repaired_by_the_replay(
        transactional_db, redis_client, key_prefix):
    world, events, target, attempt = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    hangup = _hangup_fails_after_its_commit(world, events, now)

    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.released_at) == (Outcome.ANSWERED, None)  # committed
    assert _activity(world) == "on_call"  # the agent still held for the call
    assert world.pacer.count("node:fs1") == 1
    assert load_call(redis_client, key_prefix, A) is not None

    # The consumer left the entry pending and replays it: the Redis side is given back once.
    assert world.results.apply(hangup, now) == "already_ended"
    attempt.refresh_from_db()
    assert attempt.released_at == now
    assert _activity(world) == "idle" and world.routable("1000")
    assert world.pacer.count("node:fs1") == 0
    assert load_call(redis_client, key_prefix, A) is None
    target.refresh_from_db()
    assert (target.state, target.attempts) == (TargetState.COMPLETED, 1)


def test_the_periodic_sweep_gives_back_what_no_replay_did(
        transactional_db, redis_client, key_prefix):
    world, events, _target, attempt = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    _hangup_fails_after_its_commit(world, events, now)

    # Too recent: a release may still be running (its claim lasts 30 s).
    assert release_unreleased(world.results, now + dt.timedelta(seconds=5)) == 0
    assert release_unreleased(world.results, now + dt.timedelta(seconds=31)) == 1

    attempt.refresh_from_db()
    assert attempt.released_at is not None
    assert world.routable("1000") and world.pacer.count("node:fs1") == 0
    assert release_unreleased(world.results, now + dt.timedelta(seconds=62)) == 0  # once


def test_the_periodic_reconcile_task_runs_the_sweep(transactional_db, redis_client, key_prefix,
                                                     settings):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = []
    from workers.tasks.reconcile import reconcile_calls

    world, events, _target, attempt = _world(redis_client, key_prefix)
    past = dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=2)
    _hangup_fails_after_its_commit(world, events, past)

    assert reconcile_calls.run()["released"] == 1
    assert CallAttempt.objects.get(id=attempt.id).released_at is not None
    assert world.routable("1000")


def test_a_replayed_bridge_still_marks_the_agent_on_call(
        transactional_db, redis_client, key_prefix):
    world, events, _target, attempt = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    bridge = _index(events, "CHANNEL_BRIDGE")
    for event in events[:bridge]:
        world.results.apply(event, now)
    assert _activity(world) == "reserved"
    flaky = dataclasses.replace(world.results, presence=FailsOnce(world.store, "mark"))
    with pytest.raises(redis.ConnectionError):
        flaky.apply(events[bridge], now)
    assert CallAttempt.objects.get(id=attempt.id).bridged_at is not None  # committed
    assert _activity(world) == "reserved"  # the on-call hold was lost with Redis

    assert world.results.apply(events[bridge], now) == "bridged"  # the replay
    assert _activity(world) == "on_call"
