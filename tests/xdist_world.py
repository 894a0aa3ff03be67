"""Per-worker isolation under pytest-xdist (`make test` runs the suite on several workers).

Loaded as a plugin (`-p tests.xdist_world` in pyproject.toml) so it runs before pytest-django
reads the settings. Each worker already gets its own test database (pytest-django adds `_gwN` to
its name) and each test its own Redis key prefix; this gives each worker its own default key
prefix (the cache, anything written without a test's prefix) and its own broker keys (kombu's
global_keyprefix), so one worker's Celery processes never take another worker's tasks. The
child processes a test starts inherit both through the environment.
"""

from __future__ import annotations

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    os.environ["REDIS_KEY_PREFIX"] = f"sbtest-{_run}-{_worker}"
    os.environ["CELERY_BROKER_KEY_PREFIX"] = f"sbtest-{_run}-{_worker}:"
