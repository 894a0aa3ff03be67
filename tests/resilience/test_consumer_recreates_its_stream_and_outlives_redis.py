"""The results consumer (a real `manage.py consume_events` process) keeps applying events when
its stream and group are deleted under it (a Redis flush) and when Redis itself restarts with
its data gone: it recreates both and carries on, never exiting.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.e2e_world import ManagedProcess, wait_for
from tests.factories import make_campaign, make_target
from tests.processes import process_environment

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _busy(client, prefix: str, attempt: CallAttempt, seq: int) -> None:
    """The listener's stream entry for a BACKGROUND_JOB `-ERR USER_BUSY`."""
    headers = {"Event-Name": "BACKGROUND_JOB", "Job-UUID": str(attempt.job_uuid),
               "Core-UUID": "c0de0000-0000-4000-8000-000000000001",
               "Event-Sequence": str(seq), "_body": "-ERR USER_BUSY\n"}
    client.xadd(f"{prefix}:events", {"node": "fs1", "core": headers["Core-UUID"],
                                     "seq": str(seq), "name": "BACKGROUND_JOB",
                                     "data": json.dumps(headers)})


def _attempt(campaign) -> CallAttempt:
    target = make_target(campaign, state=TargetState.DIALING)
    return CallAttempt.objects.create(target=target, campaign=campaign, attempt_number=1,
                                      node="fs1", uuid=uuid.uuid4(), job_uuid=uuid.uuid4())


def test_consumer_survives_a_deleted_stream_and_a_redis_restart(transactional_db, own_redis,
                                                                key_prefix):
    import redis

    client = redis.Redis.from_url(own_redis.url)
    env = process_environment(own_redis.url, key_prefix, FREESWITCH_NODES="")
    consumer = ManagedProcess(["consume_events"], env, "consumer")
    try:
        campaign = make_campaign(status="running", max_attempts=5)
        attempts = [_attempt(campaign) for _ in range(3)]

        def ended(attempt: CallAttempt) -> bool:
            attempt.refresh_from_db()
            return attempt.outcome == Outcome.BUSY

        wait_for(lambda: list(client.scan_iter(match=f"{key_prefix}:consumers:*")), 30,
                 "the consumer's heartbeat", consumer.log)
        _busy(client, key_prefix, attempts[0], 1)
        wait_for(lambda: ended(attempts[0]), 30, "the first event applied", consumer.log)

        client.delete(f"{key_prefix}:events")  # stream and group gone, as with FLUSHDB
        _busy(client, key_prefix, attempts[1], 2)  # the listener recreates the bare stream
        wait_for(lambda: ended(attempts[1]), 30, "an event after the stream was deleted",
                 consumer.log)

        own_redis.restart(down_for=2.0)
        client = redis.Redis.from_url(own_redis.url)
        time.sleep(1.0)
        _busy(client, key_prefix, attempts[2], 3)
        wait_for(lambda: ended(attempts[2]), 45, "an event after Redis restarted",
                 consumer.log)

        assert consumer.alive, consumer.log()[-3000:]
        log = consumer.log()
        assert "redis error" in log  # it did meet the errors, and waited them out
        groups = client.xinfo_groups(f"{key_prefix}:events")
        assert [g["name"] for g in groups] == [b"results"]
    finally:
        consumer.stop()
