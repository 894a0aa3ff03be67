"""Benchmarks run as the suite's check that they still print their figures.

`bench_run(name)` runs `bench/<name>.py --quick` as a child process (through the shared process
helper, so it dies with the test run) against this run's PostgreSQL server and Redis, and
returns its stdout; a non-zero exit fails the test with the bench's stderr. Each bench makes and
drops its own database and key prefix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from bench.figures import match, parse, registry
from switchboard import children
from tests.processes import ROOT

# Generous: a loaded 2-core machine runs the slowest quick bench (faults) several times slower.
BENCH_TIMEOUT = 900


@pytest.fixture
def bench_run(redis_url) -> Callable[[str], str]:
    def run(name: str) -> str:
        env = dict(os.environ, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
        env.pop("TEST_DATABASE_NAME", None)  # each bench names its own throwaway database
        proc = children.popen([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--quick"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=BENCH_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.communicate(timeout=60)
        assert proc.returncode == 0, f"bench/{name}.py --quick exited {proc.returncode}:\n" \
            f"{err[-6000:]}"
        return out

    return run


def assert_prints_every_figure(name: str, stdout: str) -> None:
    """Every figure bench/figures.toml documents for `name` is printed as `name: value unit`,
    and nothing else is printed on stdout."""
    specs = registry()[name]
    pairs, missing, extra = match(specs, parse(stdout))
    assert [s.name for s in missing] == [], f"not printed:\n{stdout}"
    assert extra == [], f"printed but not documented in bench/figures.toml: {extra}"
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == len(specs), f"stdout holds more than the figures:\n{stdout}"
