"""Per-worker isolation under pytest-xdist (`make test` runs the suite on several workers).

Called by tests/conftest.py when it is imported (Django is set up by then, no cache or broker
connection is open yet). Each worker already gets its own test database (pytest-django adds `_gwN`
to its name) and each test its own Redis key prefix; this gives each worker its own default key
prefix (the cache, anything written without a test's prefix) and its own broker keys (kombu's
global_keyprefix), so one worker's Celery processes never take another worker's tasks. The child
processes a test starts inherit both through the environment.
"""

from __future__ import annotations

import os


def isolate_worker() -> None:
    """Point this xdist worker's settings, Celery app and environment at keys of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from django.conf import settings

    prefix = f"sbtest-{os.environ.get('PYTEST_XDIST_TESTRUNUID', '')[:8]}-{worker}"
    os.environ["REDIS_KEY_PREFIX"] = prefix
    os.environ["CELERY_BROKER_KEY_PREFIX"] = f"{prefix}:"
    settings.REDIS_KEY_PREFIX = prefix
    settings.BROKER_KEY_PREFIX = f"{prefix}:"
    settings.CACHES["default"]["KEY_PREFIX"] = f"{prefix}:cache"

    from workers.celery import _transport_options, app

    app.conf.broker_transport_options = _transport_options()
