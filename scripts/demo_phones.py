"""The demo's agents behind the SIP proxy (`make demo DEMO_ARGS=--sip-proxy`): one SIPp softphone
per agent registers over TCP through the demo's Kamailio and answers the calls the nodes send
through it; now and then one crashes (kill -9: Kamailio drops its contact at once) and comes back
a little later, like AgentSimulator does on the emulator."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIPP = REPO / "deploy" / "sipp"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PhoneSimulator:
    """SIPp phones for `users` registered with the proxy at 127.0.0.1:`sip_port`."""

    sip_port: int
    users: tuple[str, ...]
    password: str = field(repr=False)
    seed: int = 7
    tick_seconds: float = 1.0
    stop_event: threading.Event = field(default_factory=threading.Event)
    counts: dict[str, int] = field(default_factory=lambda: {"register": 0, "crash": 0,
                                                            "error": 0})

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.phones: dict[str, subprocess.Popen[bytes] | None] = dict.fromkeys(self.users)
        self.back_at: dict[str, float] = {}
        self.clock = 0.0
        self._thread: threading.Thread | None = None

    def _start(self, user: str) -> None:
        port = free_port()
        try:
            self.phones[user] = subprocess.Popen(
                ["sipp", f"127.0.0.1:{self.sip_port}", "-sf", str(SIPP / "phone.xml"),
                 "-oocsf", str(SIPP / "answer.xml"), "-t", "t1", "-i", "127.0.0.1",
                 "-p", str(port), "-m", "1", "-key", "user", user, "-key", "contact_port",
                 str(port), "-key", "expires", "300", "-key", "unreg", "0", "-au", user,
                 "-ap", self.password, "-d", "86400000", "-nostdin", "-timeout", "86400"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.counts["register"] += 1
        except OSError:
            self.counts["error"] += 1

    def log_in_everyone(self) -> None:
        for user in self.users:
            self._start(user)

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="phone-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.stop_event.wait(self.tick_seconds):
            self.clock += self.tick_seconds
            self.step()

    def step(self) -> None:
        for user, phone in list(self.phones.items()):
            down = phone is None or phone.poll() is not None
            if down and self.clock >= self.back_at.get(user, 0.0):
                self._start(user)
        alive = [u for u, p in self.phones.items() if p is not None and p.poll() is None]
        if len(alive) > len(self.users) // 2 and self.random.random() < 0.05:
            user = self.random.choice(alive)
            phone = self.phones[user]
            if phone is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(phone.pid, signal.SIGKILL)
                phone.wait()
            self.back_at[user] = self.clock + self.random.uniform(10, 30)
            self.counts["crash"] += 1

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for phone in self.phones.values():
            if phone is not None and phone.poll() is None:
                phone.kill()
                phone.wait()
