"""Real Celery processes for dispatch tests: workers and beat against the test database.

Fixtures (all function-scoped; every process they start is killed in teardown):

- `process_env` -> dict: the environment a subprocess needs to see what the test sees: the test
  database (`DATABASE_URL` names pytest-django's test database), this run's Redis db and broker
  (`REDIS_URL`, `CELERY_BROKER_URL`), and the test's own `REDIS_KEY_PREFIX` (= `key_prefix`), so
  presence, buckets and live-call sets written by workers land where the test reads them.
  Requests `transactional_db`: rows must be committed for another process to see them.
- `celery_worker_factory(queues=("tick", "dial", "control", "default"), concurrency=2,
  pool="prefork", env=None, name=None)` -> `CeleryProcess`: starts `celery -A workers worker` and
  returns once the worker logged "ready". Call it several times for several workers.
- `celery_worker` -> one worker on every queue (the factory's defaults).
- `celery_beat_factory(env=None)` -> `CeleryProcess`: starts `celery -A workers beat` with
  django-celery-beat's DatabaseScheduler; install schedules first (`call_command(
  "setup_schedules")`) or it has nothing to send.

- `dispatch_settings`: in-process dispatch services (campaigns.services.call_path.dispatch) write
  under the test's key prefix and Redis db.
- `presence_store`: a `PresenceStore` under the test's key prefix (tests/dispatch/world.py has
  helpers to bring nodes up and make a running campaign with routable agents).

`CeleryProcess` has `.pid`, `.log()` (its output so far), `.signal(sig)` (e.g. SIGKILL a worker
to test redelivery; prefork children are in its process group: `.signal_group(sig)`),
`.stop()` (SIGTERM, then SIGKILL after a grace period) and `.alive`.

Before the first process starts, the broker's queues are purged, so no message left by an earlier
test in the same run (same Redis db) reaches this test's workers.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Sequence

import pytest

from tests.processes import Process, process_environment, stop_all

ALL_QUEUES = ("tick", "dial", "control", "default")


class CeleryProcess(Process):
    """A Celery worker or beat started by a test; returns once its log shows `ready`."""

    def __init__(self, argv: list[str], env: dict[str, str], ready: str, kind: str) -> None:
        super().__init__(argv, env, kind)
        try:
            self.wait_for(ready, timeout=60)
        except RuntimeError:
            self.stop()
            raise


@pytest.fixture
def process_env(transactional_db, key_prefix, redis_url) -> dict[str, str]:
    """Environment for subprocesses: the test database, this run's Redis, the test's prefix."""
    return process_environment(
        redis_url, key_prefix, CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", redis_url)
    )


def _purge_broker() -> None:
    from workers.celery import app

    with app.connection_for_write() as conn:
        for queue in ALL_QUEUES:
            conn.default_channel.queue_purge(queue)


@pytest.fixture
def celery_processes() -> Iterator[list[CeleryProcess]]:
    """Every Celery process started by this test, stopped in reverse order at teardown."""
    started: list[CeleryProcess] = []
    yield started
    stop_all(started)  # in parallel: one drain's time, not the sum


@pytest.fixture
def celery_worker_factory(process_env, celery_processes):
    """Start real `celery worker` processes; see the module docstring."""
    purged = False

    def start(
        queues: Sequence[str] = ALL_QUEUES,
        concurrency: int = 2,
        pool: str = "prefork",
        env: dict[str, str] | None = None,
        name: str | None = None,
    ) -> CeleryProcess:
        nonlocal purged
        if not purged:
            _purge_broker()
            purged = True
        node = name or f"sbtest-{uuid.uuid4().hex[:8]}@%h"
        argv = [
            sys.executable, "-m", "celery", "-A", "workers", "worker",
            "-Q", ",".join(queues), "-c", str(concurrency), "-P", pool, "-n", node,
            "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]
        proc = CeleryProcess(argv, {**process_env, **(env or {})}, ready=" ready.", kind="worker")
        celery_processes.append(proc)
        return proc

    return start


@pytest.fixture
def celery_worker(celery_worker_factory) -> CeleryProcess:
    """One worker on every queue."""
    return celery_worker_factory()


@pytest.fixture
def celery_beat_factory(process_env, celery_processes, tmp_path):
    """Start a real `celery beat` with django-celery-beat's DatabaseScheduler."""

    def start(env: dict[str, str] | None = None) -> CeleryProcess:
        argv = [
            sys.executable, "-m", "celery", "-A", "workers", "beat",
            "-S", "django_celery_beat.schedulers:DatabaseScheduler",
            "--loglevel=DEBUG", "--pidfile", str(tmp_path / f"beat-{uuid.uuid4().hex[:6]}.pid"),
        ]
        proc = CeleryProcess(argv, {**process_env, **(env or {})},
                             ready="beat: Starting...", kind="beat")
        celery_processes.append(proc)
        return proc

    return start


@pytest.fixture
def dispatch_settings(settings, key_prefix, redis_url):
    """In-process dispatch services write under the test's key prefix and Redis db."""
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.REDIS_URL = redis_url
    return settings


@pytest.fixture
def presence_store(redis_client, key_prefix):
    from telephony.presence import PresenceStore

    return PresenceStore(redis_client, key_prefix)
