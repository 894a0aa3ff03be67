"""One ESL client connection: auth, command dispatch in order, subscriptions and filters."""

from __future__ import annotations

import asyncio
import hmac
import itertools
import re
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol

from emulator import wire
from emulator.calls import CallEngine
from emulator.wire import Command, Event


class EslHost(Protocol):
    """What an ESL connection needs of its node (the node composes connections, not the reverse)."""

    password: str
    hung: bool
    connections: dict[int, EslConnection]
    listeners: set[EslConnection]

    @property
    def calls(self) -> CallEngine: ...

    def api(
        self, name: str, args: str, done: Callable[[str], None], job_uuid: str = ""
    ) -> str | None: ...

    def background_job(self, job: str, command: str, args: str, output: str) -> None: ...

    def record_command(self, conn: EslConnection, cmd: Command) -> None: ...


EVENT_NAMES = frozenset(
    [
        "CUSTOM",
        "CLONE",
        "CHANNEL_CREATE",
        "CHANNEL_DESTROY",
        "CHANNEL_STATE",
        "CHANNEL_CALLSTATE",
        "CHANNEL_ANSWER",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_HOLD",
        "CHANNEL_UNHOLD",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_OUTGOING",
        "CHANNEL_PARK",
        "CHANNEL_UNPARK",
        "CHANNEL_APPLICATION",
        "CHANNEL_ORIGINATE",
        "CHANNEL_UUID",
        "API",
        "LOG",
        "INBOUND_CHAN",
        "OUTBOUND_CHAN",
        "STARTUP",
        "SHUTDOWN",
        "PUBLISH",
        "UNPUBLISH",
        "TALK",
        "NOTALK",
        "SESSION_CRASH",
        "MODULE_LOAD",
        "MODULE_UNLOAD",
        "DTMF",
        "MESSAGE",
        "PRESENCE_IN",
        "NOTIFY_IN",
        "PRESENCE_OUT",
        "PRESENCE_PROBE",
        "MESSAGE_WAITING",
        "MESSAGE_QUERY",
        "ROSTER",
        "CODEC",
        "BACKGROUND_JOB",
        "DETECTED_SPEECH",
        "DETECTED_TONE",
        "PRIVATE_COMMAND",
        "HEARTBEAT",
        "TRAP",
        "ADD_SCHEDULE",
        "DEL_SCHEDULE",
        "EXE_SCHEDULE",
        "RE_SCHEDULE",
        "RELOADXML",
        "NOTIFY",
        "PHONE_FEATURE",
        "PHONE_FEATURE_SUBSCRIBE",
        "SEND_MESSAGE",
        "RECV_MESSAGE",
        "REQUEST_PARAMS",
        "CHANNEL_DATA",
        "GENERAL",
        "COMMAND",
        "SESSION_HEARTBEAT",
        "CLIENT_DISCONNECTED",
        "SERVER_DISCONNECTED",
        "SEND_INFO",
        "RECV_INFO",
        "RECV_RTCP_MESSAGE",
        "SEND_RTCP_MESSAGE",
        "CALL_SECURE",
        "NAT",
        "RECORD_START",
        "RECORD_STOP",
        "PLAYBACK_START",
        "PLAYBACK_STOP",
        "CALL_UPDATE",
        "FAILURE",
        "SOCKET_DATA",
        "MEDIA_BUG_START",
        "MEDIA_BUG_STOP",
        "CONFERENCE_DATA_QUERY",
        "CONFERENCE_DATA",
        "CALL_SETUP_REQ",
        "CALL_SETUP_RESULT",
        "CALL_DETAIL",
        "DEVICE_STATE",
        "TEXT",
        "SHUTDOWN_REQUESTED",
        "ALL",
    ]
)

_ids = itertools.count(1)


class EslConnection(asyncio.Protocol):
    """Server side of one Event Socket connection; commands are answered strictly in order."""

    def __init__(self, node: EslHost) -> None:
        self.node = node
        self.id = next(_ids)
        self.transport: asyncio.Transport | None = None
        self.reader = wire.CommandReader()
        self.authed = False
        self.closed = False
        self.greeted = False
        self.format = "plain"
        self.all_events = False
        self.names: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self._queue: deque[Command] = deque()
        self._busy = False
        self._held: list[bytes] = []  # events written while an `api` blocks the connection
        self._raw_held = bytearray()  # input received while the node hangs
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._in_read = False  # replies written while reading go out when the read ends

    # -- transport ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.node.connections[self.id] = self
        if not self.node.hung:
            self.greet()

    def greet(self) -> None:
        """Send the auth/request greeting once."""
        if not self.greeted and self.transport is not None:
            self.greeted = True
            self.write(wire.AUTH_REQUEST)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.node.connections.pop(self.id, None)
        self.node.listeners.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.node.hung:
            self._raw_held += data
            return
        self._queue.extend(self.reader.feed(data))
        self._in_read = True
        try:
            self._pump()
        finally:
            self._in_read = False
            if not self._flush_scheduled:
                self.flush()

    def resume(self) -> None:
        """The node stopped hanging: greet, then process what arrived meanwhile."""
        self.greet()
        if self._raw_held:
            data, self._raw_held = bytes(self._raw_held), bytearray()
            self._queue.extend(self.reader.feed(data))
        self._flush_held()
        self._pump()

    def write(self, data: bytes) -> None:
        """Queue bytes; they go out in one send per loop iteration (far fewer syscalls)."""
        if self.transport is None or self.closed:
            return
        self._out.append(data)
        if not self._flush_scheduled and not self._in_read:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Send everything queued so far."""
        self._flush_scheduled = False
        if self._out and self.transport is not None and not self.transport.is_closing():
            data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
            self.transport.write(data)
        self._out.clear()

    def close(self, notice: bytes = b"") -> None:
        """Optionally send a disconnect notice, then close the socket."""
        if self.closed:
            return
        if notice:
            self.write(notice)
        self.flush()
        self.closed = True
        self.node.listeners.discard(self)
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Drop the TCP connection without a word (node down)."""
        self.closed = True
        self.node.listeners.discard(self)
        if self.transport is not None:
            self.transport.abort()

    # -- events ------------------------------------------------------------------------------

    def wants(self, name: str, subclass: str) -> bool:
        """Subscription check, as mod_event_socket does it."""
        if self.all_events:
            return True
        if name not in self.names:
            return False
        return name != "CUSTOM" or not subclass or subclass in self.subclasses

    def passes_filters(self, event: Event) -> bool:
        """Filter semantics of mod_event_socket (reference section 1.6)."""
        if not self.filters:
            return True
        send = False
        for hname, hvalue in self.filters:
            value = event.get(hname)
            if value is None:
                continue
            comp = hvalue
            positive = True
            while comp and comp[0] in "+- ":
                if comp[0] == "+":
                    positive = True
                elif comp[0] == "-":
                    positive = False
                comp = comp[1:]
            if send and positive:
                continue
            if hvalue.startswith("/"):
                match = _regex_match(comp, value)
            else:
                match = comp.lower() == value.lower()
            if match:
                if positive:
                    send = True
                else:
                    return False
        return send

    def send_event(self, event: Event) -> None:
        """Deliver one event in this connection's format (held while an api blocks)."""
        data = event.json() if self.format == "json" else event.plain()
        if self._busy or self.node.hung:
            self._held.append(data)
        else:
            self.write(data)

    def _flush_held(self) -> None:
        if self._held and not self.node.hung:
            data, self._held = b"".join(self._held), []
            self.write(data)

    # -- commands ----------------------------------------------------------------------------

    def _pump(self) -> None:
        while self._queue and not self._busy and not self.closed and not self.node.hung:
            self._handle(self._queue.popleft())

    def _handle(self, cmd: Command) -> None:
        line = cmd.line
        verb, _, rest = line.partition(" ")
        self.node.record_command(self, cmd)
        if not self.authed:
            if verb == "auth":
                if hmac.compare_digest(rest.strip().encode(), self.node.password.encode()):
                    self.authed = True
                    self.write(wire.command_reply("+OK accepted"))
                else:
                    self.write(wire.command_reply("-ERR invalid") + wire.GOODBYE_NOTICE)
                    self.close()
            else:
                self.write(wire.command_reply("-ERR command not found"))
            return
        handler = _HANDLERS.get(verb)
        if handler is None and verb.startswith("event"):
            handler = EslConnection._cmd_event
        if handler is None:
            self.write(wire.command_reply("-ERR command not found"))
            return
        handler(self, cmd, rest.strip())

    def _cmd_api(self, cmd: Command, rest: str) -> None:
        name, _, args = rest.partition(" ")

        def done(output: str) -> None:
            self.write(wire.api_response(output))
            if self._busy:
                self._busy = False
                self._flush_held()
                self._pump()

        result = self.node.api(name, args.strip(), done)
        if result is None:
            # The api blocks this connection until it finishes (api originate), as in ESL.c.
            self._busy = True
        else:
            self.write(wire.api_response(result))

    def _cmd_bgapi(self, cmd: Command, rest: str) -> None:
        job = cmd.header("job-uuid") or str(uuid.uuid4())
        name, _, args = rest.partition(" ")
        args = args.strip()
        self.write(wire.command_reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)]))

        def done(output: str) -> None:
            self.node.background_job(job, name, args, output)

        def run() -> None:
            result = self.node.api(name, args, done, job_uuid=job)
            if result is not None:
                done(result)

        # The job runs after the reply is on the wire, as FreeSWITCH's job thread does.
        asyncio.get_running_loop().call_soon(run)

    def _cmd_event(self, cmd: Command, rest: str) -> None:
        words = rest.split()
        if words and words[0] in ("plain", "json", "xml"):
            self.format = "json" if words[0] == "json" else "plain"
            words = words[1:]
        custom = False
        count = 0
        for word in words:
            if custom:
                self.subclasses.add(word)  # every word after CUSTOM is a subclass (file 16)
                count += 1
            elif word in EVENT_NAMES:
                count += 1
                if word == "ALL":
                    self.all_events = True
                else:
                    self.names.add(word)
                if word == "CUSTOM":
                    custom = True
        if not count:
            self.write(wire.command_reply("-ERR no keywords supplied"))
            return
        self.node.listeners.add(self)
        fmt = "json" if self.format == "json" else "plain"
        self.write(wire.command_reply(f"+OK event listener enabled {fmt}"))

    def _cmd_nixevent(self, cmd: Command, rest: str) -> None:
        words = rest.split()
        if not words:
            self.write(wire.command_reply("-ERR no keywords supplied"))
            return
        custom = False
        for word in words:
            if custom:
                self.subclasses.discard(word)
            elif word == "ALL":
                self.all_events = False
                self.names.clear()
                self.subclasses.clear()
            elif word == "CUSTOM":
                custom = True
            else:
                self.names.discard(word)
        self.write(wire.command_reply("+OK events nixed"))

    def _cmd_noevents(self, cmd: Command, rest: str) -> None:
        listening = self.all_events or bool(self.names)
        self.all_events = False
        self.names.clear()
        self.subclasses.clear()
        self.node.listeners.discard(self)
        self._held.clear()
        if listening:
            self.write(wire.command_reply("+OK no longer listening for events"))
        else:
            self.write(wire.command_reply("-ERR not listening for events"))

    def _cmd_filter(self, cmd: Command, rest: str) -> None:
        words = rest.split(" ", 1)
        if words[0] == "delete":
            args = words[1].strip() if len(words) > 1 else ""
            if not args:
                self.write(wire.command_reply("-ERR invalid syntax"))
                return
            hname, _, value = args.partition(" ")
            if hname == "all":
                self.filters.clear()
                self.write(wire.command_reply("+OK filter deleted. [all][]"))
                return
            value = value.strip()
            self.filters = [
                (h, v) for h, v in self.filters if not (h == hname and (not value or v == value))
            ]
            self.write(wire.command_reply(f"+OK filter deleted. [{hname}][{value}]"))
            return
        if len(words) < 2 or not words[1].strip():
            self.write(wire.command_reply("-ERR invalid syntax"))
            return
        hname, value = words[0], words[1].strip()
        self.filters.append((hname, value))
        self.write(wire.command_reply(f"+OK filter added. [{hname}]=[{value}]"))

    def _cmd_sendmsg(self, cmd: Command, rest: str) -> None:
        target = rest.strip() or (cmd.header("session-id") or "")
        ok = self.node.calls.apps.sendmsg(target, cmd)
        if ok:
            self.write(wire.command_reply("+OK"))
        else:
            self.write(wire.command_reply(f"-ERR invalid session id [{target}]"))

    def _cmd_exit(self, cmd: Command, rest: str) -> None:
        self.write(wire.command_reply("+OK bye"))
        self.close(wire.GOODBYE_NOTICE)

    def _cmd_auth(self, cmd: Command, rest: str) -> None:
        self.write(wire.command_reply("-ERR command not found"))

    def _cmd_linger(self, cmd: Command, rest: str) -> None:
        self.write(wire.command_reply("-ERR not controlling a session"))

    def _cmd_log(self, cmd: Command, rest: str) -> None:
        level = rest or "debug"
        self.write(wire.command_reply(f"+OK log level {level} [7]"))

    def _cmd_nolog(self, cmd: Command, rest: str) -> None:
        self.write(wire.command_reply("+OK no longer logging"))


def _regex_match(pattern: str, value: str) -> bool:
    body = pattern
    flags = 0
    if body.startswith("/"):
        end = body.rfind("/")
        if end > 0:
            if "i" in body[end + 1 :]:
                flags |= re.I
            body = body[1:end]
        else:
            body = body[1:]
    try:
        return re.search(body, value, flags) is not None
    except re.error:
        return False


_HANDLERS = {
    "api": EslConnection._cmd_api,
    "bgapi": EslConnection._cmd_bgapi,
    "event": EslConnection._cmd_event,
    "nixevent": EslConnection._cmd_nixevent,
    "noevents": EslConnection._cmd_noevents,
    "filter": EslConnection._cmd_filter,
    "sendmsg": EslConnection._cmd_sendmsg,
    "exit": EslConnection._cmd_exit,
    "...": EslConnection._cmd_exit,
    "auth": EslConnection._cmd_auth,
    "linger": EslConnection._cmd_linger,
    "nolinger": EslConnection._cmd_linger,
    "log": EslConnection._cmd_log,
    "nolog": EslConnection._cmd_nolog,
}
