"""ESL framing and parsing: pure functions on bytes, no I/O (STYLE rule 10).

Wire facts (from the captures in shared/fixtures/freeswitch):

* A frame is a header block (`Name: value` lines, bare LF) ended by a blank line, then exactly
  `Content-Length` bytes of body when that header is present. Lengths are in bytes.
* `api/response` bodies need not end in a newline (`uuid_exists` -> `true`): the next frame may
  follow directly, so only Content-Length decides where a body ends.
* Plain events (`text/event-plain`) carry a second, inner header block in the body whose values
  are URL-encoded; it may carry its own inner Content-Length and body (BACKGROUND_JOB). Values are
  decoded one by one, only after framing. Headers may repeat (Hangup-Cause twice in
  CHANNEL_HANGUP_COMPLETE).
* JSON events (`text/event-json`) are one object; the body is under `_body`, keys may repeat.

The parser is on the event listener's hot path: it searches with `bytearray.find`, keeps a parsed
header block while it waits for a long body, and never loops over single bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from telephony.errors import InvalidCommand, ProtocolError

AUTH_REQUEST: Final = "auth/request"
COMMAND_REPLY: Final = "command/reply"
API_RESPONSE: Final = "api/response"
EVENT_PLAIN: Final = "text/event-plain"
EVENT_JSON: Final = "text/event-json"
EVENT_XML: Final = "text/event-xml"
DISCONNECT_NOTICE: Final = "text/disconnect-notice"
RUDE_REJECTION: Final = "text/rude-rejection"
LOG_DATA: Final = "log/data"

REPLY_TYPES: Final = frozenset({COMMAND_REPLY, API_RESPONSE})
EVENT_TYPES: Final = frozenset({EVENT_PLAIN, EVENT_JSON})

# FreeSWITCH refuses command bodies above 16 MiB (MAX_CONTENT_LENGTH in mod_event_socket); a peer
# announcing more than this is not speaking ESL, and buffering it would only exhaust memory.
MAX_CONTENT_LENGTH: Final = 64 * 1024 * 1024
# A header block longer than this without its blank line is garbage, not a slow peer.
MAX_HEADER_BLOCK: Final = 1024 * 1024

# The formats this parser decodes; FreeSWITCH also offers xml, which nothing here reads.
EventFormat = Literal["plain", "json"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One outer ESL message: its Content-Type, outer headers (not URL-decoded) and raw body."""

    content_type: str
    headers: Mapping[str, str]
    body: bytes = b""

    def text(self) -> str:
        """The body as text (FreeSWITCH sends UTF-8; undecodable bytes are replaced)."""
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to one command: `command/reply` (text in Reply-Text) or `api/response` (body)."""

    content_type: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the reply starts with +OK (api bodies may instead be data such as `true`)."""
        return self.text.startswith("+OK")

    @property
    def job_uuid(self) -> str | None:
        """The Job-UUID header of a bgapi reply."""
        return self.headers.get("Job-UUID")


@dataclass(frozen=True, slots=True)
class Event:
    """One decoded event: `headers` holds the first value of each header, `header_list` all."""

    name: str
    headers: Mapping[str, str] = field(repr=False)
    body: str = ""
    subclass: str | None = None
    core_uuid: str | None = None
    sequence: int | None = None
    header_list: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header `name`, or `default`."""
        return self.headers.get(name, default)

    def get_all(self, name: str) -> list[str]:
        """Every value of header `name`, in wire order."""
        return [value for key, value in self.header_list if key == name]


class FrameParser:
    """Incremental framer: `feed(bytes)` returns the complete frames the bytes so far contain."""

    __slots__ = ("_buf", "_pending", "max_content_length")

    def __init__(self, max_content_length: int = MAX_CONTENT_LENGTH) -> None:
        self._buf = bytearray()
        # A header block already parsed whose body has not fully arrived: (type, headers, length).
        self._pending: tuple[str, dict[str, str], int] | None = None
        self.max_content_length = max_content_length

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame now complete, in order."""
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        pos = 0
        size = len(buf)
        while True:
            if self._pending is None:
                # Stray blank lines between frames carry nothing (FreeSWITCH itself skips them).
                while pos < size and buf[pos] == 10:
                    pos += 1
                end = buf.find(b"\n\n", pos)
                if end < 0:
                    if size - pos > MAX_HEADER_BLOCK:
                        raise ProtocolError("header block too long without a blank line")
                    break
                headers = _parse_outer_headers(bytes(buf[pos:end]))
                pos = end + 2
                length = _content_length(headers, self.max_content_length)
                content_type = headers.get("Content-Type", "")
                if length == 0:
                    frames.append(Frame(content_type, headers))
                    continue
                self._pending = (content_type, headers, length)
            content_type, headers, length = self._pending
            if size - pos < length:
                break
            frames.append(Frame(content_type, headers, bytes(buf[pos : pos + length])))
            pos += length
            self._pending = None
        if pos:
            del buf[:pos]
        return frames


def _parse_outer_headers(block: bytes) -> dict[str, str]:
    """Parse an outer header block; outer values are sent as is, never URL-encoded."""
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split("\n"):
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"malformed ESL header line {line[:60]!r}")
        headers.setdefault(name, value.strip())
    return headers


def _content_length(headers: Mapping[str, str], limit: int) -> int:
    """The Content-Length of a header block in bytes; 0 when absent."""
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise ProtocolError(f"non-numeric Content-Length {raw[:20]!r}")
    length = int(raw)
    if length > limit:
        raise ProtocolError(f"Content-Length {length} exceeds the {limit}-byte limit")
    return length


def parse_reply(frame: Frame) -> Reply:
    """Turn a `command/reply` or `api/response` frame into a Reply."""
    if frame.content_type == COMMAND_REPLY:
        return Reply(COMMAND_REPLY, frame.headers.get("Reply-Text", ""), frame.headers)
    if frame.content_type == API_RESPONSE:
        return Reply(API_RESPONSE, frame.text(), frame.headers)
    raise ProtocolError(f"not a reply frame: {frame.content_type!r}")


def parse_event(frame: Frame) -> Event:
    """Decode a `text/event-plain` or `text/event-json` frame into an Event."""
    if frame.content_type == EVENT_PLAIN:
        return parse_plain_event(frame.body)
    if frame.content_type == EVENT_JSON:
        return parse_json_event(frame.body)
    raise ProtocolError(f"not an event frame: {frame.content_type!r}")


# Two-hex-digit escapes in any case mix, mapped to their byte.
_HEX_BYTES: Final = {
    f"{a}{b}".encode(): bytes([int(f"{a}{b}", 16)])
    for a in "0123456789abcdefABCDEF"
    for b in "0123456789abcdefABCDEF"
}


def url_decode(data: bytes) -> bytes:
    """Percent-decode bytes; a `%` not followed by two hex digits is kept as is (like unquote)."""
    if b"%" not in data:
        return data
    # Fast path in C: turn every %XX into \xXX and let the unicode_escape codec decode them (other
    # bytes pass through as Latin-1, so encoding back to Latin-1 restores them exactly). Twice as
    # fast as a Python loop over the escapes; a malformed escape falls back to that loop.
    try:
        escaped = data.replace(b"\\", b"\\\\").replace(b"%", b"\\x")
        return escaped.decode("unicode_escape").encode("latin-1")
    except UnicodeDecodeError:
        pass
    parts = data.split(b"%")
    out = [parts[0]]
    lookup = _HEX_BYTES.get
    for part in parts[1:]:
        byte = lookup(part[:2])
        if byte is None:
            out.append(b"%")
            out.append(part)
        else:
            out.append(byte)
            out.append(part[2:])
    return b"".join(out)


def parse_plain_event(data: bytes) -> Event:
    """Decode the body of a plain event: URL-encoded headers, then an optional inner body."""
    split = data.find(b"\n\n")
    head, rest = (data, b"") if split < 0 else (data[:split], data[split + 2 :])
    # Values are decoded one by one, after the lines are split. Decoding the whole block at once is
    # the same thing as long as no value encodes a line break, so encoded line breaks (the SDP in
    # variable_switch_r_sdp) are parked as NUL first and restored per value: this halves the cost
    # per event on the listener's hot path. FreeSWITCH encodes every literal % as %25, so a raw
    # "%0A" is always an escape. An encoded NUL (never seen) takes the slow, per-value path.
    per_value = b"%00" in head
    newlines = False
    if not per_value and b"%" in head:
        if b"%0A" in head or b"%0a" in head:
            newlines = True
            head = head.replace(b"%0A", b"\0").replace(b"%0a", b"\0")
        head = url_decode(head)
    lines = [line.split(": ", 1) for line in head.decode("utf-8", "replace").split("\n") if line]
    if per_value:
        lines = [
            [pair[0], url_decode(pair[1].encode()).decode("utf-8", "replace")]
            if len(pair) == 2
            else pair
            for pair in lines
        ]
    elif newlines:
        lines = [
            [pair[0], pair[1].replace("\0", "\n")] if len(pair) == 2 else pair for pair in lines
        ]
    try:
        headers = dict(lines)
    except ValueError:
        bad = next(pair[0] for pair in lines if len(pair) != 2)
        raise ProtocolError(f"malformed event header line {bad[:60]!r}") from None
    pairs = [(name, value) for name, value in lines]
    if len(headers) != len(pairs):
        # A repeated header (Hangup-Cause twice): the first value wins, as in FreeSWITCH's own
        # esl_event_get_header().
        headers = {}
        for name, value in pairs:
            headers.setdefault(name, value)
    body = ""
    if rest:
        inner = headers.get("Content-Length")
        if inner is not None and inner.isascii() and inner.isdigit():
            rest = rest[: int(inner)]
        body = rest.decode("utf-8", "replace")
    return _make_event(headers, pairs, body)


def parse_json_event(data: bytes) -> Event:
    """Decode the body of a JSON event; repeated keys are all kept, `_body` becomes the body."""
    try:
        pairs_in = json.loads(data, object_pairs_hook=_pairs)
    except ValueError as exc:
        raise ProtocolError(f"invalid JSON event: {exc}") from None
    if not isinstance(pairs_in, list):
        raise ProtocolError("JSON event is not an object")
    pairs: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body = ""
    for name, raw in pairs_in:
        value = raw if isinstance(raw, str) else json.dumps(raw)
        if name == "_body":
            body = value
            continue
        pairs.append((name, value))
        if name not in headers:
            headers[name] = value
    return _make_event(headers, pairs, body)


def _pairs(items: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """json object hook that keeps repeated keys."""
    return items


def _make_event(headers: dict[str, str], pairs: list[tuple[str, str]], body: str) -> Event:
    """Build an Event from decoded headers, lifting the fields every consumer needs."""
    sequence = headers.get("Event-Sequence")
    return Event(
        name=headers.get("Event-Name", ""),
        headers=headers,
        body=body,
        subclass=headers.get("Event-Subclass"),
        core_uuid=headers.get("Core-UUID"),
        sequence=(
            int(sequence)
            if sequence is not None and sequence.isascii() and sequence.isdigit()
            else None
        ),
        header_list=tuple(pairs),
    )


# ---- commands -------------------------------------------------------------------------------

_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_EVENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_SUBCLASS = re.compile(r"^[A-Za-z0-9_.-]{1,64}(::[A-Za-z0-9_.-]{1,64})*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_APP = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_CAUSE = re.compile(r"^[A-Z][A-Z_]{0,63}$")
# Patterns are used with fullmatch(): `$` would also match before a trailing newline.
# Application arguments that may travel in a header; anything else (long, %, line breaks) goes in a
# text/plain body, which FreeSWITCH takes verbatim.
_SAFE_ARG = re.compile(r"^[\x20-\x24\x26-\x7e]{0,1024}$")
_FORMATS: Final = ("plain", "json")


def check_line(value: str, what: str) -> str:
    """Refuse a value with a line break or NUL: it would end the command and start another."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise InvalidCommand(f"{what} contains a line break; refusing to send it (ESL injection)")
    return value


def encode_command(
    command: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> bytes:
    """Encode one ESL command (one line, optional headers, optional body) for the wire."""
    check_line(command, "ESL command")
    if not command.strip():
        raise InvalidCommand("ESL command is empty")
    lines = [command]
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name) or name.lower() == "content-length":
            raise InvalidCommand(f"invalid ESL command header name {name[:64]!r}")
        check_line(value, f"ESL header {name}")
        lines.append(f"{name}: {value}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
        return ("\n".join(lines) + "\n\n").encode() + body
    return ("\n".join(lines) + "\n\n").encode()


def _event_words(names: Iterable[str], custom: Iterable[str]) -> str:
    """Event names, then CUSTOM and its subclasses: FreeSWITCH reads every word after CUSTOM as a
    subclass (capture 16), so building the words here makes a misplaced name impossible."""
    core = list(names)
    subclasses = list(custom)
    for name in core:
        if name == "CUSTOM":
            raise InvalidCommand("pass CUSTOM subclasses as `custom`, not CUSTOM as an event name")
        if not _EVENT_NAME.fullmatch(name):
            raise InvalidCommand(f"invalid event name {name[:64]!r}")
    for sub in subclasses:
        if not _SUBCLASS.fullmatch(sub):
            raise InvalidCommand(f"invalid event subclass {sub[:64]!r}")
    if not core and not subclasses:
        raise InvalidCommand("no event names given")
    words = core + (["CUSTOM", *subclasses] if subclasses else [])
    return " ".join(words)


def build_event_command(fmt: EventFormat, names: Iterable[str], custom: Iterable[str] = ()) -> str:
    """`event <fmt> NAMES... [CUSTOM subclasses...]`."""
    if fmt not in _FORMATS:
        raise InvalidCommand(f"invalid event format {fmt!r}")
    return f"event {fmt} {_event_words(names, custom)}"


def build_nixevent_command(names: Iterable[str], custom: Iterable[str] = ()) -> str:
    """`nixevent NAMES... [CUSTOM subclasses...]`."""
    return f"nixevent {_event_words(names, custom)}"


def build_filter_command(header: str, value: str, *, delete: bool = False) -> str:
    """`filter <Header> <value>` or `filter delete <Header> <value>`."""
    if not _HEADER_NAME.fullmatch(header):
        raise InvalidCommand(f"invalid filter header name {header[:64]!r}")
    check_line(value, "filter value")
    if not value or value != value.strip():
        raise InvalidCommand("filter value must be non-empty without surrounding spaces")
    return f"filter {'delete ' if delete else ''}{header} {value}"


@dataclass(frozen=True, slots=True)
class SendMsg:
    """A rendered `sendmsg`: its command line, headers and optional text/plain body."""

    command: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None


def build_sendmsg(
    uuid: str,
    app: str | None = None,
    arg: str | None = None,
    *,
    call_command: Literal["execute", "hangup"] = "execute",
    event_uuid: str | None = None,
    event_lock: bool = False,
    loops: int | None = None,
    hangup_cause: str | None = None,
) -> SendMsg:
    """Render `sendmsg <uuid>` executing `app arg` (or hanging up) on a channel."""
    if not _TOKEN.fullmatch(uuid):
        raise InvalidCommand("invalid channel uuid for sendmsg")
    headers: list[tuple[str, str]] = [("call-command", call_command)]
    body: bytes | None = None
    if call_command == "execute":
        if app is None or not _APP.fullmatch(app):
            raise InvalidCommand("sendmsg execute needs a valid application name")
        headers.append(("execute-app-name", app))
        if arg:
            if _SAFE_ARG.fullmatch(arg):
                headers.append(("execute-app-arg", arg))
            else:
                body = arg.encode()
        if loops is not None:
            if not 0 < loops < 100000:
                raise InvalidCommand("sendmsg loops must be between 1 and 99999")
            headers.append(("loops", str(loops)))
    elif call_command == "hangup":
        if hangup_cause is not None:
            if not _CAUSE.fullmatch(hangup_cause):
                raise InvalidCommand("invalid hangup cause for sendmsg")
            headers.append(("hangup-cause", hangup_cause))
    else:
        raise InvalidCommand(f"unsupported sendmsg call-command {call_command!r}")
    # Header order as in capture 15 (FreeSWITCH does not care, but the wire stays familiar).
    if event_lock:
        headers.append(("event-lock", "true"))
    if body is not None:
        headers.append(("content-type", "text/plain"))
    if event_uuid is not None:
        if not _TOKEN.fullmatch(event_uuid):
            raise InvalidCommand("invalid event uuid for sendmsg")
        headers.append(("Event-UUID", event_uuid))
    return SendMsg(f"sendmsg {uuid}", tuple(headers), body)
