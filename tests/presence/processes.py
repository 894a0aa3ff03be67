"""The emulator as a real process for the listener tests, and a polling helper."""

from __future__ import annotations

import json
import sys
import time

from emulator.control import EmulatorControl
from tests.processes import Process


class Emulator(Process):
    """`python -m emulator` on free ports, with its control client."""

    def __init__(self, env: dict[str, str], nodes: int = 2, password: str = "ClueCon",
                 extra: tuple[str, ...] = ()) -> None:
        super().__init__([sys.executable, "-m", "emulator", "--nodes", str(nodes),
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
