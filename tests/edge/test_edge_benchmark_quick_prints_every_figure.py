"""`bench/edge.py --quick` runs against real Kamailio and SIPp and prints every figure as
`name: value unit`."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.integration

FIGURES = {
    "proxy_register_to_routable_p50_ms": "ms",
    "proxy_register_to_routable_p99_ms": "ms",
    "proxy_tcp_kill_to_unroutable_p99_ms": "ms",
    "proxy_ghost_seconds": "s",
    "proxy_reconcile_ms_10000_contacts": "ms",
}


def test_quick_mode_prints_each_figure(redis_url):
    env = {**os.environ, "REDIS_URL": redis_url}
    done = subprocess.run([sys.executable, "bench/edge.py", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = dict(re.findall(r"^(\w+): ([0-9.]+ \w+)$", done.stdout, re.MULTILINE))
    assert sorted(printed) == sorted(FIGURES), done.stdout
    for name, unit in FIGURES.items():
        value, got_unit = printed[name].split()
        assert got_unit == unit and float(value) >= 0
    # Loose sanity bounds on a loaded machine (the goals are far tighter: see docs/sip-edge.md).
    assert float(printed["proxy_tcp_kill_to_unroutable_p99_ms"].split()[0]) < 2000
    assert float(printed["proxy_ghost_seconds"].split()[0]) < 5
