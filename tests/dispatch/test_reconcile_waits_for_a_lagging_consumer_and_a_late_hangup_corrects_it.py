"""Issue 16 item 11: reconcile never settles a node's calls while the events stream still holds
entries of that node the consumer has not applied (the lag is made on purpose: the consumer is
paused, i.e. not running, while the listener's entries wait in the stream); once the consumer
runs, the call ends with what its events say (answered, with its talk time). And when
reconcile did settle a call whose events were lost, a hangup that arrives later corrects it.

Capture 24 (target_first, answered, bridged, billsec > 0) on real PostgreSQL and Redis; the
entries are appended as the listener appends them (telephony.eventlog).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from campaigns.services.call_path.results_reconcile import reconcile_node
from telephony.eventlog import EventLog
from tests.dispatch.captured_calls import call_world, capture_events, job_for
from workers.results import Consumer

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000024"


def _fields(event) -> dict[str, str]:
    return {"node": event.node, "core": event.core, "seq": event.seq, "name": event.name,
            "data": json.dumps(dict(event.headers))}


def _world(redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("24")
    world.setup(mode="target_first", originate_timeout=5, dtmf_settle_ms=0)
    target, attempt = world.call("1000", A, attempt_id=77, job_uuid=job_for(events, "+OK"))
    hangup = next(e for e in events
                  if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == A)
    return world, events, target, attempt, int(hangup.get("variable_billsec"))


def _past_the_deadline() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)


def test_reconcile_settles_nothing_while_the_paused_consumer_holds_the_nodes_events(
        transactional_db, redis_client, key_prefix):
    world, events, target, attempt, billsec = _world(redis_client, key_prefix)
    log = EventLog(redis_client, key_prefix)
    for event in events:  # the listener appended the whole call; the consumer is paused
        log.append("fs1", _fields(event), 10_000)
    assert log.behind("fs1")

    # The node lists no channel any more and the call is long past its originate timeout.
    assert reconcile_node(world.results, "fs1", set(), _past_the_deadline()) == 0
    attempt.refresh_from_db()
    assert attempt.ended_at is None  # left for its events, not guessed

    # The consumer resumes and applies what it holds: the real outcome and talk time.
    Consumer(redis_client, key_prefix, world.results, name="t1", block_ms=100).run(
        install_signals=False, idle_exit=lambda: True)
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.billsec, attempt.settled_by) == (
        Outcome.ANSWERED, billsec, "events")
    assert not log.behind("fs1")
    assert reconcile_node(world.results, "fs1", set(), _past_the_deadline()) == 0


def test_a_node_whose_events_are_all_applied_is_reconciled_as_before(
        transactional_db, redis_client, key_prefix):
    world, events, _target, attempt, _ = _world(redis_client, key_prefix)
    log = EventLog(redis_client, key_prefix)
    answer = next(i for i, e in enumerate(events) if e.name == "CHANNEL_ANSWER")
    for event in events[:answer]:  # what the listener got before it was lost
        log.append("fs1", _fields(event), 10_000)
    Consumer(redis_client, key_prefix, world.results, name="t1", block_ms=100).run(
        install_signals=False, idle_exit=lambda: True)
    assert not log.behind("fs1")

    assert reconcile_node(world.results, "fs1", set(), _past_the_deadline()) == 1
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.settled_by) == (Outcome.UNKNOWN, "reconcile")


def test_a_late_hangup_corrects_what_reconcile_settled(transactional_db, redis_client,
                                                       key_prefix):
    world, events, target, attempt, billsec = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    hangup = next(i for i, e in enumerate(events)
                  if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == A)
    for event in events[:hangup]:  # answered and bridged, then the events stopped
        world.results.apply(event, now)

    later = _past_the_deadline()
    assert reconcile_node(world.results, "fs1", set(), later) == 1
    attempt.refresh_from_db()
    # Connected to an agent: final, but the talk time was never seen.
    assert (attempt.outcome, attempt.billsec, attempt.settled_by) == (
        Outcome.ANSWERED, 0, "reconcile")

    done = [world.results.apply(e, later) for e in events[hangup:]]
    assert "corrected_answered" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.billsec, attempt.settled_by, attempt.hangup_cause) == (
        Outcome.ANSWERED, billsec, "events", "NORMAL_CLEARING")
    assert (target.state, target.attempts) == (TargetState.COMPLETED, 1)  # counted once
    assert CallAttempt.objects.filter(target=target).count() == 1


def test_a_late_hangup_turns_an_unknown_into_the_real_outcome(transactional_db, redis_client,
                                                              key_prefix):
    world, events, target, attempt, billsec = _world(redis_client, key_prefix)
    later = _past_the_deadline()
    # Every event lost: reconcile can only say unknown (held: the campaign's default).
    assert reconcile_node(world.results, "fs1", set(), later) == 1
    target.refresh_from_db()
    assert (target.state, target.last_outcome) == (TargetState.FAILED, Outcome.UNKNOWN)

    for event in events:  # they come after all (a consumer that was down)
        world.results.apply(event, later)
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.billsec) == (Outcome.ANSWERED, billsec)
    assert (target.state, target.last_outcome, target.attempts) == (
        TargetState.COMPLETED, Outcome.ANSWERED, 1)
