"""Child processes of the demo: each in its own process group, logged to a file, stopped as a group.

Started through the shared helper (switchboard.children), as the tests' and benches' are.

Every child gets its own session (so a terminal's Ctrl-C reaches only the demo, which then stops
the children in order) and asks the kernel to send it SIGTERM if the demo itself dies without
cleaning up (PR_SET_PDEATHSIG), so no orphan outlives the demo even after a `kill -9`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from switchboard import children
from switchboard.children import port_is_free, wait_for_port

__all__ = ["Child", "Supervisor", "port_is_free", "wait_for_port"]

@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    tier: int = 0

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Supervisor:
    """Starts children, notices when one dies, and stops them all in reverse order."""

    log_dir: Path
    env: dict[str, str]
    cwd: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, *, argv: Sequence[str], tier: int, stop_signal: int = signal.SIGTERM,
              extra_env: dict[str, str] | None = None) -> Child:
        """Start argv in its own session with output appended to <log_dir>/<name>.log.

        Tiers stop in descending order: the processes that use a service (tier 2) are gone
        before the service (Redis, tier 0) is, so none of them logs a spurious outage.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name}\n".encode())
            log.flush()
            process = children.popen(
                argv,
                cwd=self.cwd,
                env={**self.env, **(extra_env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, argv, process, log_path, stop_signal, tier)
        self.children.append(child)
        return child

    def dead(self) -> list[Child]:
        """Children that exited on their own."""
        return [child for child in self.children if not child.alive]

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        """Stop tier by tier, highest first: signal each leader, wait, kill the groups' rest."""
        for tier in sorted({child.tier for child in self.children}, reverse=True):
            group = [child for child in self.children if child.tier == tier]
            for child in group:
                # Only the leader: Celery and gunicorn drain their own pool processes on
                # SIGTERM, and a pool process signalled directly dies mid-task.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.process.pid, child.stop_signal)
            deadline = time.monotonic() + grace_seconds
            for child in group:
                remaining = max(0.1, deadline - time.monotonic())
                try:
                    child.process.wait(timeout=remaining)
                except subprocess.TimeoutExpired:
                    _signal_group(child.process.pid, signal.SIGKILL)
                    child.process.wait(timeout=5)
        # Grandchildren (Celery pool processes, gunicorn workers) share the child's group:
        # make sure none outlived its parent.
        for child in self.children:
            _signal_group(child.process.pid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
