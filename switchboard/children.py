"""Child processes for tests, benchmarks and the demo: one way to start them and one to stop them.

Every child starts in its own session (a process group of its own, so a stop reaches its pool
processes and only them) and asks the kernel for SIGTERM when its parent dies
(`PR_SET_PDEATHSIG`), so a bench or test run killed half-way (a timeout, Ctrl-C, `kill -9`)
leaves nothing behind: the children get SIGTERM and drain their own pools. `stop_all` stops many
children at once (signal every leader, then wait on one shared deadline), so a teardown costs the
slowest child's drain, not the sum of them.

The standard library only: the demo imports it before Django is set up.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1
# Every child started here and not yet stopped, so an exiting parent stops them (atexit, or the
# SIGTERM/SIGINT handler of `exit_on_signals`); PDEATHSIG covers a parent that cannot run code.
_running: list[Child] = []
_lock = threading.Lock()


def die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGTERM me when my parent goes away."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not glibc: the parent's own atexit and signal handlers still stop us
        pass


def popen(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """subprocess.Popen in a session of its own that dies with its parent."""
    kwargs.setdefault("start_new_session", True)
    # PDEATHSIG fires when the creating *thread* ends: start children from long-lived threads.
    return subprocess.Popen(list(argv), preexec_fn=die_with_parent, **kwargs)


class Child:
    """A supervised child: its own session, its output in a log file, stopped as a group."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None,
                 cwd: str | Path | None = None, name: str = "child",
                 log_path: Path | None = None, stop_signal: int = signal.SIGTERM,
                 stdin: int | None = subprocess.DEVNULL) -> None:
        self.name = self.kind = name
        self.argv = list(argv)
        self.stop_signal = stop_signal
        if log_path is None:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
                prefix=f"sb-{name}-", suffix=".log", delete=False)
            self.log_path = Path(handle.name)
            self._log: IO[bytes] = handle
        else:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log_path = log_path
            self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
            self._log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name}\n"
                            .encode())
            self._log.flush()
        self.process = self.proc = popen(self.argv, cwd=cwd, env=env, stdin=stdin,
                                         stdout=self._log, stderr=subprocess.STDOUT)
        with _lock:
            _running.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, marker: str, timeout: float = 30.0) -> str:
        """Poll the output until it holds `marker`; return the output so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if marker in text:
                return text
            if not self.alive:
                raise RuntimeError(f"{self.name} exited early:\n{text[-4000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: no {marker!r} after {timeout}s:\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        """Signal the leader only (Celery and gunicorn drain their own pools)."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, sig)

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL to whatever is left of its session after `grace` seconds."""
        stop_all([self], grace)
        return self.process.returncode

    def _finish(self) -> None:
        # Grandchildren (pool processes) share the group: none may outlive the leader.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self._log.close()
        with _lock:
            if self in _running:
                _running.remove(self)


def stop_all(children: Iterable[Child], grace: float = 10.0) -> None:
    """Stop children in parallel: signal every leader, wait on one deadline, kill the rest."""
    group = list(children)
    for child in group:
        child.signal(child.stop_signal)
    deadline = time.monotonic() + grace
    for child in group:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=max(0.05, deadline - time.monotonic()))
    for child in group:
        child._finish()


def stop_everything(grace: float = 10.0) -> None:
    """Stop every child this process started and has not stopped yet."""
    with _lock:
        left = list(_running)
    stop_all(left, grace)


atexit.register(stop_everything)


def exit_on_signals() -> None:
    """Make SIGTERM and SIGHUP exit through `finally` and atexit, as Ctrl-C already does."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> None:
    """Wait until something accepts TCP connections on host:port, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process behind {host}:{port} exited")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves do: a port whose old connections linger in TIME_WAIT is
        # free to listen on; on Linux a port someone listens on still refuses the bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
