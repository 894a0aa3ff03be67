from __future__ import annotations

import pytest

from tests.dispatch.conftest import (  # noqa: F401 - shared process fixtures
    celery_beat_factory,
    celery_processes,
    celery_worker_factory,
    process_env,
)
from tests.redis_server import RedisServer


@pytest.fixture
def own_redis():
    """A private redis-server this test may kill and restart."""
    server = RedisServer().start()
    yield server
    server.stop()
