"""A bench stopped half-way (SIGKILL of the bench itself, Ctrl-C, a timeout's SIGTERM) leaves no
process behind: its listener, consumer, Celery worker (with its pool) and beat, its emulator.

Every process the bench starts inherits a mark in its environment; after the bench is gone,
no process on the machine may still carry it.
"""

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from switchboard import children
from tests.processes import ROOT


def marked(mark: str) -> list[str]:
    """Command lines of the live processes whose environment holds `mark`."""
    needle = f"SB_PROCESS_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":  # a zombie is already dead, only not yet reaped
                    found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("bench", "started", "sig"), [
    # The hard case: the bench cannot run any code, its children must notice on their own.
    ("abandon", "dialling", signal.SIGKILL),
    ("presence", "TCP drops", signal.SIGINT),
    ("presence", "TCP drops", signal.SIGTERM),
])
def test_a_killed_bench_leaves_no_process_behind(bench, started, sig, redis_url, redis_client,
                                                 tmp_path):
    mark = uuid.uuid4().hex
    env = dict(os.environ, SB_PROCESS_MARK=mark, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    env.pop("TEST_DATABASE_NAME", None)
    log = tmp_path / "stderr.log"
    with log.open("wb") as err:
        proc = children.popen([sys.executable, str(ROOT / "bench" / f"{bench}.py"), "--quick"],
                              cwd=ROOT, env=env, stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + 300
        while started not in log.read_text(errors="replace"):
            assert proc.poll() is None, f"the bench ended first:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(0.2)
        assert len(marked(mark)) >= 3  # the bench and the processes it started
        os.kill(proc.pid, sig)
        proc.wait(timeout=120)
        deadline = time.monotonic() + 90
        while marked(mark) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert marked(mark) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # A bench killed outright cannot delete its keys (its database goes with its next run).
        for key in redis_client.scan_iter(match=f"sbbench:{bench}-{proc.pid}*", count=1000):
            redis_client.delete(key)
