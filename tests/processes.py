"""Real child processes for integration tests, and the environment that shows them the test's world.

Shared by the dispatch fixtures (Celery worker and beat), the presence fixtures (emulator and
`manage.py listen`) and the browser tests that reuse the dispatch fixtures.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Process:
    """A child process in its own session, its output in a temporary file; stopped at teardown."""

    def __init__(self, argv: list[str], env: dict[str, str], kind: str) -> None:
        self.kind = kind
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"sb-{kind}-", suffix=".log", delete=False
        )
        # Its own session, so stop() can signal its children too (prefork pools), and only them.
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def wait_for(self, marker: str, timeout: float = 30.0) -> str:
        """Poll the output until it holds `marker`; return the output so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if marker in text:
                return text
            if not self.alive:
                raise RuntimeError(f"{self.kind} exited early:\n{text[-4000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind}: no {marker!r} after {timeout}s:\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        if self.alive:
            os.kill(self.proc.pid, sig)

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL to whatever is left of its session after `grace` seconds."""
        if self.alive:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._log.close()
        return self.proc.returncode


def database_url(settings_dict: dict[str, Any]) -> str:
    """DATABASE_URL naming the database Django is connected to (pytest-django's test database)."""
    if "postgresql" not in settings_dict["ENGINE"]:
        raise RuntimeError("process tests need PostgreSQL (DATABASE_URL=postgres://...)")
    user, password = settings_dict["USER"], settings_dict["PASSWORD"]
    host, port, name = settings_dict["HOST"], settings_dict["PORT"] or 5432, settings_dict["NAME"]
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


def process_environment(redis_url: str, key_prefix: str, **extra: str) -> dict[str, str]:
    """This process's environment pointed at the test database, `redis_url` and `key_prefix`.

    Rows must be committed (transactional_db) for a child process to see them.
    """
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        # No idle connection outlives a task, so nothing lingers into the next test.
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=key_prefix,
        DJANGO_SETTINGS_MODULE="switchboard.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "test-only"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env
