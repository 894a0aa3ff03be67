"""Issue 17 §3 (for issue 16 item 11): the results consumer de-duplicates by a per-node
high-water mark of (Core-UUID, Event-Sequence), not by one Redis key per event, and records the
node's last finished stream entry beside it; an entry that fails is retried in place, before the
same call's later events, not 30 s later. Real Redis stream, real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import CallAttempt, Outcome
from campaigns.services.call_path.results import Results
from telephony.eventlog import EventLog
from tests.dispatch.captured_calls import call_world, capture_events, job_for
from workers.results import GROUP, Consumer

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000024"


def _fields(event) -> dict[str, str]:
    import json

    return {"node": event.node, "core": event.core, "seq": event.seq, "name": event.name,
            "data": json.dumps(dict(event.headers))}


def _world(redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("24")
    world.setup(mode="target_first")
    _, attempt = world.call("1000", A, attempt_id=77, job_uuid=job_for(events, "+OK"))
    return world, events, attempt


def _run(consumer: Consumer) -> None:
    consumer.run(install_signals=False, idle_exit=lambda: True)


def test_duplicates_are_skipped_by_the_nodes_mark_with_no_key_per_event(
        transactional_db, redis_client, key_prefix):
    world, events, attempt = _world(redis_client, key_prefix)
    log = EventLog(redis_client, key_prefix)
    for event in events + events:  # every event twice, as after a listener failover
        log.append("fs1", _fields(event), 10_000)
    consumer = Consumer(redis_client, key_prefix, world.results, name="t1", block_ms=100)
    _run(consumer)

    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.ANSWERED
    assert consumer.applied == len(events)  # the second copies were skipped
    assert redis_client.xpending(f"{key_prefix}:events", GROUP)["pending"] == 0
    keys = sorted(k.decode() for k in redis_client.scan_iter(match=f"{key_prefix}:events*"))
    assert keys == [f"{key_prefix}:events", f"{key_prefix}:events:appended",
                    f"{key_prefix}:events:applied:fs1"]
    mark = log.applied("fs1")
    assert (mark.core, mark.seq) == (events[0].core, max(int(e.seq) for e in events))
    assert mark.entry_id == log.appended("fs1") and not log.behind("fs1")


class FailsOnceOn(Results):
    """The real applier, which fails the first time it applies one event (the test's switch
    for "the database hiccupped on that entry"), and records the order it applied events."""

    def __init__(self, base: Results, failing_seq: str) -> None:
        super().__init__(presence=base.presence, pacer=base.pacer, redis=base.redis,
                         prefix=base.prefix)
        self.failing_seq, self.failed, self.order = failing_seq, False, []

    def apply(self, event, now: dt.datetime) -> str:
        self.order.append(event.seq)
        if event.seq == self.failing_seq and not self.failed:
            self.failed = True
            raise RuntimeError("database hiccup (test)")
        return super().apply(event, now)


def test_a_failed_entry_is_retried_before_the_entries_after_it(
        transactional_db, redis_client, key_prefix):
    world, events, attempt = _world(redis_client, key_prefix)
    log = EventLog(redis_client, key_prefix)
    for event in events:
        log.append("fs1", _fields(event), 10_000)
    answer = next(e for e in events if e.name == "CHANNEL_ANSWER" and e.get("Unique-ID") == A)
    results = FailsOnceOn(world.results, answer.seq)
    consumer = Consumer(redis_client, key_prefix, results, name="t1", block_ms=100)
    _run(consumer)

    seqs = [e.seq for e in events]
    at = seqs.index(answer.seq)
    # The answer failed, and was applied again at once, before the bridge and the hangup.
    assert results.order == seqs[:at + 1] + seqs[at:]
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.answered_at is not None) == (Outcome.ANSWERED, True)
    assert CallAttempt.objects.get(id=attempt.id).billsec > 0
    assert redis_client.xpending(f"{key_prefix}:events", GROUP)["pending"] == 0
