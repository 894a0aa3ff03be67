"""ESL wire format on the server side: command framing, replies, event serialization."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# FreeSWITCH's switch_url_encode() escapes exactly these (plus control and 8-bit bytes);
# `,`, `/`, `(`, `)`, `'` and `~` pass through, as the captures show.
_UNSAFE = set('\r\n "#%&+:;<=>?@[\\]^`{|}')
_NEEDS_ENCODING = re.compile(r'[\x00-\x20"#%&+:;<=>?@\[\\\]^`{|}\x7f-\uffff]')
_ESCAPES = {chr(c): f"%{c:02X}" for c in range(128) if c < 0x21 or c == 0x7F or chr(c) in _UNSAFE}
_TABLE = str.maketrans(_ESCAPES)

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
GOODBYE_NOTICE = (
    b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
    b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
)
SHUTDOWN_NOTICE = (
    b"Content-Type: text/disconnect-notice\nContent-Length: 31\n\nThe system is being shut down.\n"
)
MAX_CONTENT_LENGTH = 16 * 1024 * 1024


@functools.lru_cache(maxsize=1 << 16)
def url_encode(value: str) -> str:
    """Encode a header value the way switch_event_serialize() does (memoized: values repeat)."""
    if value.isascii():
        # str.translate runs in C; most values need no escaping at all.
        return value.translate(_TABLE) if _NEEDS_ENCODING.search(value) else value
    return "".join(_ESCAPES.get(ch) or _encode_wide(ch) for ch in value)


def _encode_wide(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode()) if ord(ch) >= 0x7F else ch


def command_reply(text: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    """A `command/reply` frame."""
    lines = [f"Content-Type: command/reply\nReply-Text: {text}\n"]
    lines.extend(f"{name}: {value}\n" for name, value in extra)
    lines.append("\n")
    return "".join(lines).encode()


def api_response(body: str) -> bytes:
    """An `api/response` frame: Content-Type first, then Content-Length (captures 02, 17)."""
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(data), data)


@dataclass
class Command:
    """One command block read from a client: first line, headers, optional body."""

    line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str | None:
        """Header value by case-insensitive name."""
        return self.headers.get(name.lower())


class CommandReader:
    """Incremental framer for client commands (blank-line terminated, optional body)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pending: Command | None = None
        self._need = 0

    def feed(self, data: bytes) -> list[Command]:
        """Add bytes; return every complete command, in order."""
        self._buf += data
        out: list[Command] = []
        while True:
            if self._pending is not None:
                if len(self._buf) < self._need:
                    break
                self._pending.body = self._buf[: self._need].decode("utf-8", "replace")
                del self._buf[: self._need]
                out.append(self._pending)
                self._pending = None
                continue
            # Leading blank lines are ignored, as FreeSWITCH's read_packet does.
            while self._buf and self._buf[0] in (10, 13):
                del self._buf[:1]
            end = self._buf.find(b"\n\n")
            crlf = self._buf.find(b"\r\n\r\n")
            if crlf != -1 and (end == -1 or crlf < end):
                block, cut = self._buf[:crlf], crlf + 4
            elif end != -1:
                block, cut = self._buf[:end], end + 2
            else:
                break
            del self._buf[:cut]
            lines = block.decode("utf-8", "replace").replace("\r", "").split("\n")
            cmd = Command(line=lines[0].strip())
            for raw in lines[1:]:
                name, sep, value = raw.partition(":")
                if sep:
                    cmd.headers[name.strip().lower()] = value.strip()
            length = cmd.headers.get("content-length", "")
            if length.isdigit() and 0 < int(length) <= MAX_CONTENT_LENGTH:
                self._pending, self._need = cmd, int(length)
                continue
            out.append(cmd)
        return out


class Event:
    """One event: ordered headers and an optional body, serialized once per format."""

    __slots__ = ("_json", "_plain", "body", "headers", "name", "subclass")

    def __init__(
        self, name: str, headers: list[tuple[str, str]], body: str = "", subclass: str = ""
    ) -> None:
        self.name = name
        self.subclass = subclass
        self.headers = headers
        self.body = body
        self._plain: bytes | None = None
        self._json: bytes | None = None

    def get(self, name: str) -> str | None:
        """First value of a header (case-insensitive, like switch_event_get_header)."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def plain(self) -> bytes:
        """The `text/event-plain` frame."""
        if self._plain is None:
            enc = url_encode
            parts = [f"{k}: {enc(v)}\n" for k, v in self.headers]
            if self.body:
                body = self.body.encode()
                parts.append(f"Content-Length: {len(body)}\n\n")
                inner = "".join(parts).encode() + body
            else:
                parts.append("\n")
                inner = "".join(parts).encode()
            self._plain = (
                b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(inner) + inner
            )
        return self._plain

    def json(self) -> bytes:
        """The `text/event-json` frame (body under `_body`, as switch_event_serialize_json)."""
        if self._json is None:
            obj: dict[str, str] = {}
            for key, value in self.headers:
                obj.setdefault(key, value)
            if self.body:
                obj["Content-Length"] = str(len(self.body.encode()))
                obj["_body"] = self.body
            inner = json.dumps(obj, separators=(",", ":")).encode()
            self._json = (
                b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(inner) + inner
            )
        return self._json
