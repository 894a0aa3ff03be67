"""`counts_and_available` reads live-call counts and each bucket's free calls in one round trip,
with exactly the figures `counts()` and `available()` give one by one."""

from __future__ import annotations

import time

import pytest

from telephony.pacing import Pacer, Scope

pytestmark = pytest.mark.integration


def test_counts_and_available_agree_with_the_one_by_one_reads(redis_client, key_prefix):
    pacer = Pacer(redis_client, key_prefix)
    now = time.time()
    busy, idle, bursty = Scope("node:a", 2), Scope("node:b", 50), Scope("node:c", 10, burst=3)
    assert pacer.take_tokens([busy], 1, now) == 1
    assert pacer.take_tokens([bursty], 2, now) == 2
    pacer.add_call(["node:a", "campaign:1"], "u1")
    pacer.add_call(["node:a"], "u2")
    pipe = redis_client.pipeline(transaction=False)
    pacer.add_call(["node:b"], "u3", client=pipe)  # queued on the caller's pipeline only
    assert pacer.count("node:b") == 0
    pipe.execute()

    live = ["node:a", "node:b", "node:c", "campaign:1"]
    for horizon in (0.01, 1.0):
        counts, free = pacer.counts_and_available(live, [busy, idle, bursty], now, horizon)
        assert counts == pacer.counts(live) == {"node:a": 2, "node:b": 1, "node:c": 0,
                                                "campaign:1": 1}
        assert free == [pacer.available([s], now, horizon) for s in (busy, idle, bursty)]
    assert pacer.counts_and_available(live, [busy, idle, bursty], now, 0.01)[1] == [0, 1, 1]
    assert pacer.counts_and_available([], [], now) == ({}, [])
