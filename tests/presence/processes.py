"""Real processes for the listener tests: the emulator and `manage.py listen`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from telephony.emulator.control import EmulatorControl

ROOT = Path(__file__).resolve().parents[2]


class Process:
    """A child process whose output goes to a temporary file; stopped in fixture teardown."""

    def __init__(self, argv: list[str], env: dict[str, str], kind: str) -> None:
        self.kind = kind
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"sb-{kind}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def wait_for(self, marker: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if marker in text:
                return text
            if not self.alive:
                raise RuntimeError(f"{self.kind} exited early:\n{text[-3000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind}: no {marker!r} after {timeout}s:\n{self.log()[-3000:]}")

    def signal(self, sig: int) -> None:
        if self.alive:
            os.kill(self.proc.pid, sig)

    def stop(self, grace: float = 10.0) -> int | None:
        if self.alive:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        if self.alive:
            self.signal(signal.SIGKILL)
            self.proc.wait(timeout=5)
        self._log.close()
        return self.proc.returncode


class Emulator(Process):
    """`python -m telephony.emulator` on free ports, with its control client."""

    def __init__(self, env: dict[str, str], nodes: int = 2, password: str = "ClueCon",
                 extra: tuple[str, ...] = ()) -> None:
        super().__init__([sys.executable, "-m", "telephony.emulator", "--nodes", str(nodes),
                          "--esl-port", "0", "--control-port", "0", "--password", password,
                          *extra], env, "emulator")
        line = next(x for x in self.wait_for("EMULATOR READY").splitlines()
                    if x.startswith("EMULATOR READY"))
        ready = json.loads(line.removeprefix("EMULATOR READY "))
        self.ports: dict[str, int] = ready["nodes"]
        self.control = EmulatorControl(f"http://127.0.0.1:{ready['control']}")

    @property
    def node_list(self) -> str:
        """FREESWITCH_NODES for these nodes."""
        return ",".join(f"{name}=127.0.0.1:{port}" for name, port in sorted(self.ports.items()))


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll until predicate() is truthy; return its value (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
