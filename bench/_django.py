"""Shared start-up for benchmarks that need Django on a PostgreSQL database of their own."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def own_postgres_database(name: str, redis_prefix: str | None = None) -> Iterator[None]:
    """Set Django up on a fresh database `<name>_<pid>`, created here and dropped afterwards,
    so a bench run never touches real data; exit 2 unless DATABASE_URL names PostgreSQL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
    os.environ.setdefault(
        "DATABASE_URL", "postgres://switchboard:switchboard@127.0.0.1:5432/switchboard"
    )
    os.environ["TEST_DATABASE_NAME"] = f"{name}_{os.getpid()}"
    if redis_prefix is not None:
        os.environ["REDIS_KEY_PREFIX"] = f"{redis_prefix}-{os.getpid()}"
        # Broker queues of its own too: a test run or another bench on the same Redis database
        # must not take this bench's tasks, nor its workers theirs.
        os.environ["CELERY_BROKER_KEY_PREFIX"] = f"{redis_prefix}-{os.getpid()}:"

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor != "postgresql":
        print(f"{sys.argv[0]} needs DATABASE_URL to name PostgreSQL", file=sys.stderr)
        raise SystemExit(2)
    drop_stale_databases(name)
    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def drop_stale_databases(name: str) -> None:
    """Drop `<name>_<pid>` databases whose bench is gone (killed before it could drop them)."""
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}_%"])
        for (datname,) in cursor.fetchall():
            pid = datname.removeprefix(f"{name}_")
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                cursor.execute(f'DROP DATABASE IF EXISTS "{datname}"')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
