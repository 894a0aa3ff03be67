"""The tick, run by a real worker, moves targets to queued and publishes switchboard.dial_batch
messages on the `dial` queue (and nowhere else), after its claim committed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import pytest
import redis

from campaigns.models import Target, TargetState
from tests.dispatch.world import add_targets, running_campaign
from workers.celery import TICK, app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def queued_messages(broker: redis.Redis, queue: str) -> list[dict]:
    return [json.loads(raw) for raw in broker.lrange(queue, 0, -1)]


def key(queue: str) -> str:
    """The queue's list in Redis, under this run's broker key prefix (empty unless parallel)."""
    from django.conf import settings

    return f"{settings.BROKER_KEY_PREFIX}{queue}"


def test_a_tick_run_by_a_worker_publishes_bounded_dial_batches(
        process_env, celery_worker_factory, presence_store):
    now = dt.datetime.now(dt.UTC)
    campaign = running_campaign(presence_store, now, agents=7)
    ids = add_targets(campaign, 30)
    # Only the tick queue is consumed, so the dial messages stay on the broker to be read.
    celery_worker_factory(queues=("tick",), concurrency=1,
                          env={"DISPATCH_BATCH_SIZE": "3"})
    broker = redis.Redis.from_url(process_env["CELERY_BROKER_URL"])

    app.signature(TICK).apply_async()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and broker.llen(key("dial")) < 3:
        time.sleep(0.1)

    messages = queued_messages(broker, key("dial"))
    broker.delete(key("dial"))  # no later test's worker may pick these up
    assert [m["headers"]["task"] for m in messages] == ["switchboard.dial_batch"] * 3
    batches = sorted(json.loads(base64.b64decode(m["body"]))[0] for m in messages)
    assert batches == [[ids[0:3], None], [ids[3:6], None], [ids[6:7], None]]
    assert set(Target.objects.filter(state=TargetState.QUEUED).values_list("id", flat=True)) \
        == set(ids[:7])
    assert broker.llen(key("default")) == 0
