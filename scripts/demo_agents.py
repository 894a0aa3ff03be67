"""The demo's simulated call centre: far ends that answer, ring out or are busy, and agents who
log in, take calls, log out for a break, and now and then crash their softphone (a TCP drop).

It drives the emulator only through its HTTP control API, as a test would; Switchboard sees
nothing but the ESL events a real FreeSWITCH would send.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from emulator.control import EmulatorControl, EmulatorControlError

log = logging.getLogger("demo.agents")

# Far-end behaviour by the first digit after the demo's number base (demo_seed.target_number):
# most answer and talk for a few seconds, the rest show every outcome class on the dashboard.
def _attendant(bursts: int, then: str) -> list[dict[str, Any]]:
    """An auto-attendant (greeting with a pause, waiting for the 3-digit extension), the
    extension's ringback, then a person's hello or a voicemail greeting and its beep."""
    media: list[dict[str, Any]] = [
        {"kind": "silence", "ms": 200},
        {"kind": "speech", "ms": 1600, "label": "greeting"},
        {"kind": "silence", "ms": 280},
        {"kind": "speech", "ms": 1200, "label": "greeting"},
        {"kind": "await_digits", "digits": 3, "ms": 12_000},
        {"kind": "silence", "ms": 300},
    ]
    for i in range(bursts):
        media += [{"kind": "ringback", "ms": 2000, "label": "ringback"},
                  {"kind": "silence", "ms": 4000 if i < bursts - 1 else 700}]
    if then == "hello":
        media += [{"kind": "speech", "ms": 1200, "label": "hello"}]
    else:
        media += [{"kind": "speech", "ms": 3400, "label": "voicemail"},
                  {"kind": "silence", "ms": 300}, {"kind": "beep", "ms": 500, "label": "beep"}]
    return media


# The answering far ends are attendants with extensions (docs/media-aware-connect.md): the
# demo campaign sends each extension once the greeting has finished.
OUTCOMES_BY_DIGIT = {
    0: {"kind": "answer", "answer_ms": 1500, "hangup_ms": 16000, "media": _attendant(1, "hello")},
    1: {"kind": "answer", "answer_ms": 2500, "hangup_ms": 22000, "media": _attendant(2, "hello")},
    2: {"kind": "answer", "answer_ms": 800, "hangup_ms": 12000, "media": _attendant(0, "hello")},
    3: {"kind": "answer", "answer_ms": 3000, "hangup_ms": 16000,
        "media": _attendant(1, "voicemail")},
    4: {"kind": "answer", "answer_ms": 1200, "hangup_ms": 20000, "media": _attendant(1, "hello")},
    5: {"kind": "answer", "answer_ms": 2000, "hangup_ms": 14000, "media": _attendant(0, "hello")},
    6: {"kind": "busy", "fail_ms": 700},
    7: {"kind": "no_answer", "ring_ms": 300},
    8: {"kind": "unallocated", "fail_ms": 200},
    9: {"kind": "reject", "fail_ms": 500},
}

EXPIRES_SECONDS = 600
# Any other number (a target someone adds by hand in the demo) answers and hangs up after this
# long, instead of holding its agent forever.
UNSCRIPTED = {"kind": "answer", "answer_ms": 2000, "hangup_ms": 45_000}


def script_far_ends(control: EmulatorControl, number_base: str) -> None:
    """Script every demo number's far end on every node, by its outcome digit."""
    control.set_outcome("*", **UNSCRIPTED)  # the shortest pattern: every other number
    for digit, outcome in OUTCOMES_BY_DIGIT.items():
        prefix = f"{number_base}{digit}"
        # The dial string carries the E.164 number; a gateway may strip the '+'.
        for pattern in (f"{prefix}*", f"{prefix.lstrip('+')}*"):
            control.set_outcome(pattern, **outcome)


@dataclass
class SimulatedAgent:
    """One softphone: where it is registered, and until when it stays in its current state."""

    user: str
    node: str | None = None
    until: float = 0.0
    logins: int = 0
    refresh_at: float = 0.0


@dataclass
class AgentSimulator:
    """A thread that keeps most agents registered and makes a few of them come and go."""

    control: EmulatorControl
    nodes: tuple[str, ...]
    users: tuple[str, ...]
    domain: str
    seed: int = 7
    tick_seconds: float = 1.0
    stop_event: threading.Event = field(default_factory=threading.Event)
    agents: list[SimulatedAgent] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"register": 0, "logout": 0,
                                                            "crash": 0, "error": 0})

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.agents = [SimulatedAgent(user) for user in self.users]
        self.clock = 0.0
        self._thread: threading.Thread | None = None

    def log_in_everyone(self) -> None:
        """Register every agent, spread over the nodes."""
        for index, agent in enumerate(self.agents):
            self._register(agent, self.nodes[index % len(self.nodes)])

    def start_thread(self) -> None:
        """Keep the crowd moving in a background thread."""
        self._thread = threading.Thread(target=self._run, name="agent-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop moving agents (their registrations stay until the emulator stops)."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.wait(self.tick_seconds):
            self.clock += self.tick_seconds
            try:
                self.step()
            except (OSError, EmulatorControlError) as exc:  # the emulator is going away
                self.counts["error"] += 1
                log.warning("agent simulator: %s", exc)

    def step(self) -> None:
        """One second of the call centre: breaks end, a few agents leave or crash."""
        registered = [a for a in self.agents if a.node]
        for agent in self.agents:
            if agent.node is not None and self.clock >= agent.refresh_at:
                self._register(agent, agent.node, refresh=True)
            if agent.node is None:
                if self.clock >= agent.until:
                    self._register(agent, self.random.choice(self.nodes))
                continue
            if self.clock < agent.until or len(registered) <= len(self.agents) // 2:
                continue
            roll = self.random.random()
            if roll < 0.01:  # a short break: a clean REGISTER with Expires: 0
                self.control.unregister_agent(agent.node, agent.user)
                self._away(agent, "logout", 8, 20)
                registered.remove(agent)
            elif roll < 0.015:  # the softphone crashes: its TCP connection just closes
                self.control.drop_agent(agent.node, agent.user)
                self._away(agent, "crash", 5, 12)
                registered.remove(agent)

    def _register(self, agent: SimulatedAgent, node: str, refresh: bool = False) -> None:
        # A refresh keeps its call-id, as a softphone re-REGISTERing does; a new login gets one.
        if not refresh:
            agent.logins += 1
        self.control.register_agent(
            node, agent.user, domain=self.domain, transport="tcp", expires=EXPIRES_SECONDS,
            call_id=f"demo-{agent.user}-{agent.logins}", user_agent="Demo softphone",
        )
        agent.node = node
        agent.refresh_at = self.clock + EXPIRES_SECONDS / 2
        if not refresh:
            agent.until = self.clock + self.random.uniform(5, 40)  # stay at least this long
            self.counts["register"] += 1

    def _away(self, agent: SimulatedAgent, why: str, low: float, high: float) -> None:
        log.info("agent %s %s on %s", agent.user, why, agent.node)
        agent.node = None
        agent.until = self.clock + self.random.uniform(low, high)
        self.counts[why] += 1
