"""switchboard.children stops many children at once (one grace period, not one each), and
nothing of a child's process group outlives it."""

import signal
import sys
import time

from switchboard.children import Child, stop_all

# Ignores SIGTERM (as a process stuck in a drain would) and leaves a grandchild in its group.
STUBBORN = ("import signal, subprocess, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "kid = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "print('ready', kid.pid, flush=True)\n"
            "time.sleep(120)\n")


def test_four_stubborn_children_stop_in_one_grace_period_with_their_grandchildren():
    children = [Child([sys.executable, "-c", STUBBORN], name=f"stubborn{i}") for i in range(4)]
    grandchildren = [int(child.wait_for("ready", timeout=60).split()[-1]) for child in children]
    started = time.monotonic()
    stop_all(children, grace=3.0)
    elapsed = time.monotonic() - started
    # One after another it would be 4 x 3 s; together it is one grace period and the kills.
    assert elapsed < 9.0, elapsed
    assert [child.alive for child in children] == [False] * 4
    assert [child.process.returncode for child in children] == [-signal.SIGKILL] * 4
    time.sleep(0.2)
    assert [_alive(pid) for pid in grandchildren] == [False] * 4


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
