"""Shared test world.

Integration tests talk to the real services named by the environment (the Makefile sets
DATABASE_URL and REDIS_URL; `make test` starts PostgreSQL and Redis first). Several test runs
may share one Redis, so every test writes under its own key prefix instead of flushing.

Tiers come from the fixtures a test uses, never from a hand-kept list: `services` (PostgreSQL
or Redis: the database fixtures and markers, `redis_url` and what builds on it), `processes`
(starts real processes: Celery, the listener, the emulator as a process, a bench run, the
demo) and `unit` (neither). A test may be both `services` and `processes`. `make test-fast`
runs `-m unit` with no service running.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from tests.xdist_world import isolate_worker

isolate_worker()  # under pytest-xdist: this worker's own key prefix and broker keys

# Tests hash passwords by the hundred; PBKDF2's million rounds cost about half a second each
# on this machine and prove nothing a test checks. The defaults stay after it, so a hash made
# with them still verifies.
_FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# Fixtures that need a running PostgreSQL or Redis, directly or through what they build on.
SERVICE_FIXTURES = frozenset({
    "db", "transactional_db", "django_db_setup", "live_server", "django_user_model",
    "admin_user", "admin_client", "redis_url", "redis_client", "key_prefix",
})
# Fixtures that start real processes (Celery, listener, emulator as a process, a bench run, a
# private redis-server). `cluster` is one only in tests/presence (an in-process one elsewhere).
PROCESS_FIXTURES = frozenset({
    "process_env", "listener_env", "celery_processes", "started", "bench_run", "own_redis",
})


def pytest_configure(config) -> None:
    from django.conf import settings

    if settings.configured and _FAST_HASHER not in settings.PASSWORD_HASHERS[:1]:
        settings.PASSWORD_HASHERS = [_FAST_HASHER, *settings.PASSWORD_HASHERS]


def _tiers(item) -> list[str]:
    """`processes` and/or `services` from the fixtures a test uses; `unit` when neither.

    A test that starts its whole world itself, with no fixture (the demo's end-to-end run),
    says `processes` with the marker.
    """
    names = set(getattr(item, "fixturenames", ()))
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    presence_cluster = any(d.baseid.startswith("tests/presence") for d in defs.get("cluster", ()))
    tiers = []
    if names & PROCESS_FIXTURES or presence_cluster or item.get_closest_marker("processes"):
        tiers.append("processes")
    if names & SERVICE_FIXTURES or item.get_closest_marker("django_db"):
        tiers.append("services")
    return tiers or ["unit"]


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with its tier (see the module docstring)."""
    for item in items:
        for tier in _tiers(item):
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture
def redis_client(redis_url: str):
    client = redis.Redis.from_url(redis_url, decode_responses=False)
    client.ping()  # a missing Redis is an error, never a skip
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client) -> str:
    """A fresh Redis key namespace for one test; its keys are deleted afterwards."""
    prefix = f"sbtest:{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in redis_client.scan_iter(match=f"{prefix}:*", count=1000):
        redis_client.delete(key)
