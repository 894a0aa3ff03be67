"""A raw-socket ESL client for tests: exact bytes in, frames out (no project client code)."""

from __future__ import annotations

import socket
import time

from tests.emulator.captures import Frame, FrameBuffer


class RawEsl:
    """One TCP connection to an emulated node."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.fb = FrameBuffer()
        self.frames: list[Frame] = []
        self.events: list[Frame] = []
        self.raw = b""
        self.eof = False

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        if not data:
            self.eof = True
            return False
        self.raw += data
        for f in self.fb.feed(data):
            if f.content_type.startswith("text/event-"):
                self.events.append(f)
            else:
                self.frames.append(f)
        return True

    def reply(self, timeout: float = 5.0) -> Frame:
        """The next non-event frame."""
        deadline = time.monotonic() + timeout
        while not self.frames:
            if not self._fill(deadline):
                raise TimeoutError(f"no reply (eof={self.eof})")
        return self.frames.pop(0)

    def cmd(self, line: str, timeout: float = 5.0) -> Frame:
        self.send(line + "\n\n")
        return self.reply(timeout)

    def api(self, line: str, timeout: float = 5.0) -> str:
        return self.cmd("api " + line, timeout).body.decode()

    def login(self, password: str = "ClueCon") -> None:
        greeting = self.reply()
        assert greeting.content_type == "auth/request"
        assert self.cmd(f"auth {password}").headers["Reply-Text"] == "+OK accepted"

    def wait_event(self, pred, timeout: float = 5.0) -> dict[str, str]:
        """Wait for (and return) the first event satisfying pred; earlier ones are kept."""
        deadline = time.monotonic() + timeout
        idx = 0
        while True:
            while idx < len(self.events):
                ev = (
                    self.events[idx].event()
                    if self.events[idx].content_type.endswith("plain")
                    else None
                )
                if ev is not None and pred(ev):
                    return ev
                idx += 1
            if not self._fill(deadline):
                raise TimeoutError("event not seen")

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._fill(deadline):
            pass

    def wait_eof(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._fill(deadline):
                break
        return self.eof

    def names(self) -> list[str]:
        return [
            f.event().get("Event-Name", "") for f in self.events if f.content_type.endswith("plain")
        ]
