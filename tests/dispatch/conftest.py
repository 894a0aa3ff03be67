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

- `dispatch_settings`: in-process dispatch services (campaigns.services.dispatch) write under the
  test's key prefix and Redis db.
- `presence_store`: a `PresenceStore` under the test's key prefix (tests/dispatch/world.py has
  helpers to bring nodes up and make a running campaign with routable agents).

`CeleryProcess` has `.pid`, `.log()` (its output so far), `.signal(sig)` (e.g. SIGKILL a worker
to test redelivery; prefork children are in its process group: `.signal_group(sig)`),
`.stop()` (SIGTERM, then SIGKILL after a grace period) and `.alive`.

Before the first process starts, the broker's queues are purged, so no message left by an earlier
test in the same run (same Redis db) reaches this test's workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALL_QUEUES = ("tick", "dial", "control", "default")


class CeleryProcess:
    """A Celery worker or beat started by a test, with its output in a temporary file."""

    def __init__(self, argv: list[str], env: dict[str, str], ready: str, kind: str) -> None:
        self.kind = kind
        self._logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"sb-{kind}-", suffix=".log", delete=False
        )
        # Its own session, so stop() can signal the prefork children too (and only them).
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._logfile, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_for(ready, timeout=60)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return Path(self._logfile.name).read_text(errors="replace")

    def _wait_for(self, marker: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log():
                return
            if not self.alive:
                raise RuntimeError(f"{self.kind} exited early:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} not ready after {timeout}s:\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        if self.alive:
            os.kill(self.proc.pid, sig)

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, grace: float = 10.0) -> None:
        if self.alive:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Whatever is left of this process's own group (prefork children) goes too.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._logfile.close()


def _database_url(settings_dict: dict) -> str:
    user, password = settings_dict["USER"], settings_dict["PASSWORD"]
    host, port, name = settings_dict["HOST"], settings_dict["PORT"] or 5432, settings_dict["NAME"]
    if "postgresql" not in settings_dict["ENGINE"]:
        raise RuntimeError("process tests need PostgreSQL (DATABASE_URL=postgres://...)")
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


@pytest.fixture
def process_env(transactional_db, key_prefix, redis_url) -> dict[str, str]:
    """Environment for subprocesses: the test database, this run's Redis, the test's prefix."""
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(connection.settings_dict),
        # No idle connection outlives a task, so nothing lingers into the next test.
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", redis_url),
        REDIS_KEY_PREFIX=key_prefix,
        DJANGO_SETTINGS_MODULE="switchboard.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "test-only"),
        PYTHONUNBUFFERED="1",
    )
    return env


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
    for proc in reversed(started):
        proc.stop()


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
