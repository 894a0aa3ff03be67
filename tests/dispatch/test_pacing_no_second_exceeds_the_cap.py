"""Processes racing for one bucket never get more calls into any second than its rate."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import redis

from telephony.pacing import MICROS, Pacer, Scope, node_scope

pytestmark = pytest.mark.integration

WORKERS = 4
RUN_SECONDS = 2.5


def _hammer(url: str, prefix: str, scopes: list[Scope], until: float, out) -> None:
    pacer = Pacer(redis.Redis.from_url(url), prefix)
    granted: list[int] = []
    while (now := time.time()) < until:
        if pacer.take_tokens(scopes, 1, now):
            granted.append(int(now * MICROS))  # the bucket's own clock: whole microseconds
        time.sleep(0.001)
    out.put(granted)


def race(redis_url: str, prefix: str, scopes: list[Scope]) -> list[int]:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    until = time.time() + RUN_SECONDS + 0.5
    procs = [ctx.Process(target=_hammer, args=(redis_url, prefix, scopes, until, out))
             for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    grants = sorted(t for _ in procs for t in out.get(timeout=30))
    for proc in procs:
        proc.join(timeout=10)
    return grants


def busiest_window(grants: list[int]) -> int:
    """The most grants inside any half-open one-second window [t, t + 1 s)."""
    best, start = 0, 0
    for end, t in enumerate(grants):
        while grants[start] <= t - MICROS:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_calendar_second(grants: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for t in grants:
        counts[t // MICROS] = counts.get(t // MICROS, 0) + 1
    return counts


def test_no_second_gets_more_calls_than_the_trunk_rate(redis_url, key_prefix):
    grants = race(redis_url, key_prefix, [Scope("trunk:1", 20), Scope("campaign:1", 50)])

    assert len(grants) >= 20  # the racers really got calls through
    assert max(per_calendar_second(grants).values()) <= 20
    assert busiest_window(grants) <= 20


def test_no_second_gets_more_calls_than_the_node_admits(redis_url, key_prefix):
    grants = race(redis_url, key_prefix, [node_scope("fs1", 10), Scope("trunk:1", 100)])

    assert len(grants) >= 9
    assert busiest_window(grants) <= 9  # FreeSWITCH with sps 10 admits 9 a second
