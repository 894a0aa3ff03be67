"""Shared test world.

Integration tests talk to the real services named by the environment (the Makefile sets
DATABASE_URL and REDIS_URL; `make test` starts PostgreSQL and Redis first). Several test runs
may share one Redis, so every test writes under its own key prefix instead of flushing.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis


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
