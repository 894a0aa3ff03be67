"""STYLE rule 15: processes race for agents; the atomic script never hands one agent twice,
and the control without the guard shows the race is real."""

import subprocess
import sys
import time

import pytest

from switchboard import children
from tests.presence.conftest import NOW, online, registered

AGENTS = [f"10{i:02d}@127.0.0.1" for i in range(3)]
PROCESSES = 6
ROUNDS = 80


def race(store, redis_url, key_prefix, mode):
    online(store, agents=AGENTS)
    online(store, node="fs2", agents=AGENTS)
    for i, agent in enumerate(AGENTS):
        store.apply("fs1" if i % 2 else "fs2", registered(i + 1, agent=agent, call_id=agent,
                                                           expires_at=NOW + 10**9), NOW)
    start_at = time.time() + 1.0
    procs = [children.popen(
        [sys.executable, "-m", "tests.presence.reserver", redis_url, key_prefix, str(ROUNDS),
         mode, str(start_at)], stdout=subprocess.PIPE, text=True) for _ in range(PROCESSES)]
    totals = [0, 0]
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0
            reservations, doubles = map(int, out.split())
            totals[0] += reservations
            totals[1] += doubles
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return totals


@pytest.mark.integration
def test_racing_processes_never_get_one_agent_twice(store, redis_url, key_prefix):
    reservations, doubles = race(store, redis_url, key_prefix, "guarded")

    assert reservations > PROCESSES  # they really competed for the agents
    assert doubles == 0


@pytest.mark.integration
def test_control_without_the_atomic_guard_double_books(store, redis_url, key_prefix):
    reservations, doubles = race(store, redis_url, key_prefix, "unguarded")

    assert reservations > PROCESSES
    assert doubles > 0
