"""The real FreeSWITCH captures framed by an independent reader, to hold the emulator to them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from tests.telephony.fixtures import CAPTURE_DIR, read_records, server_reads


@dataclass
class Frame:
    """One ESL frame from the server: outer headers and body."""

    headers: dict[str, str]
    header_order: list[str]
    body: bytes
    raw: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def event_headers(self) -> list[tuple[str, str]]:
        """For text/event-plain: the inner headers, URL-decoded, in order."""
        end = self.body.find(b"\n\n")
        block = self.body if end < 0 else self.body[:end]
        out = []
        for line in block.decode().split("\n"):
            if line:
                name, _, value = line.partition(": ")
                out.append((name, unquote(value)))
        return out

    def event(self) -> dict[str, str]:
        """First value of each inner header."""
        out: dict[str, str] = {}
        for k, v in self.event_headers():
            out.setdefault(k, v)
        return out

    def event_body(self) -> bytes:
        end = self.body.find(b"\n\n")
        return b"" if end < 0 else self.body[end + 2 :]


class FrameBuffer:
    """Frames bytes by Content-Length."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        out = []
        while True:
            end = self.buf.find(b"\n\n")
            if end < 0:
                break
            head = self.buf[:end].decode()
            order = []
            headers = {}
            for line in head.split("\n"):
                name, _, value = line.partition(": ")
                order.append(name)
                headers[name] = value
            n = int(headers.get("Content-Length", "0"))
            if len(self.buf) < end + 2 + n:
                break
            body = self.buf[end + 2 : end + 2 + n]
            raw = self.buf[: end + 2 + n]
            self.buf = self.buf[end + 2 + n :]
            out.append(Frame(headers, order, body, raw))
        return out


def server_frames(name: str) -> list[Frame]:
    """Every frame the real FreeSWITCH sent in a capture file."""
    fb = FrameBuffer()
    out: list[Frame] = []
    for payload in server_reads(CAPTURE_DIR / name):
        out.extend(fb.feed(payload))
    return out


def conversation(name: str) -> list[tuple[str, object]]:
    """("C", command bytes) and ("S", Frame) items in wire order."""
    fb = FrameBuffer()
    out: list[tuple[str, object]] = []
    for record in read_records(CAPTURE_DIR / name):
        if record.direction == "C>S":
            out.append(("C", record.data))
        elif record.direction == "S>C":
            out.extend(("S", f) for f in fb.feed(record.data))
    return out


def captured_events(name: str) -> list[dict[str, str]]:
    """The plain events of a capture, as dicts."""
    return [f.event() for f in server_frames(name) if f.content_type == "text/event-plain"]
