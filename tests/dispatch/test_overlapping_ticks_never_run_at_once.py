"""One tick at a time: a tick holds a Redis lock while it runs, a tick that finds it held is
skipped, and a tick whose lock lapsed never frees the lock the next tick took."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.services.call_path import dispatch
from tests.dispatch.world import add_targets, running_campaign

# transactional_db: the batches are published on commit, which happens while the lock is held.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


def lock_key(prefix: str) -> str:
    return f"{prefix}:dispatch:tick-lock"


def test_a_tick_started_while_another_runs_is_skipped(
        dispatch_settings, presence_store, redis_client, key_prefix):
    campaign = running_campaign(presence_store, NOW, agents=2)
    add_targets(campaign, 2)
    seen = []

    def enqueue(ids, node):
        seen.append((redis_client.pttl(lock_key(key_prefix)),
                     dispatch.tick(NOW, lambda ids, node: None).skipped))

    report = dispatch.tick(NOW, enqueue, lock_seconds=10.0)

    assert not report.skipped and report.claimed_total == 2
    assert len(seen) == 1
    ttl_ms, second_skipped = seen[0]
    assert 0 < ttl_ms <= 10_000 and second_skipped is True
    assert redis_client.exists(lock_key(key_prefix)) == 0  # freed when the tick ended


def test_a_tick_whose_lock_lapsed_leaves_the_next_ticks_lock_alone(
        dispatch_settings, presence_store, redis_client, key_prefix):
    campaign = running_campaign(presence_store, NOW, agents=1)
    add_targets(campaign, 1)

    def enqueue(ids, node):
        # As if this tick outlived its lock and the next tick took it.
        redis_client.delete(lock_key(key_prefix))
        redis_client.set(lock_key(key_prefix), b"next-tick", px=10_000)

    report = dispatch.tick(NOW, enqueue)

    assert report.claimed_total == 1
    assert redis_client.get(lock_key(key_prefix)) == b"next-tick"


def test_ticks_run_again_once_a_held_lock_lapses(
        dispatch_settings, presence_store, redis_client, key_prefix):
    redis_client.set(lock_key(key_prefix), b"a-stuck-tick", px=300)

    assert dispatch.tick(NOW, lambda ids, node: None).skipped is True
    time.sleep(0.5)
    assert dispatch.tick(NOW, lambda ids, node: None).skipped is False
