"""One ESL connection (`ESLConnection`) and the futures for its bgapi jobs (`BackgroundJob`).

Design: each connection owns a background reader thread. Replies must be read while several threads
wait on one socket (Celery's threads pool), and BACKGROUND_JOB events must be read even when nobody
is waiting: with "read while waiting" one caller would have to read on behalf of the others (a
leader/follower dance) and events would sit in the kernel while the connection is idle. One thread
per connection (a handful per process: one per node) is cheap and keeps each path simple:

* writers take ONE lock around "append a pending slot + write the command", so the FIFO of pending
  slots is always in wire order (FreeSWITCH answers strictly in order, capture 17 pipelining);
* the reader frames bytes (telephony.protocol), hands each reply to the oldest pending slot and
  each event to a BACKGROUND_JOB future, a callback, or a bounded queue;
* a caller that times out drops the whole connection: its reply may still come, and would then be
  matched to the next command. Every other pending caller gets ConnectionLost.

Connections are never shared across fork: the pid is recorded at connect, a connection refuses to
work in another process, and an at-fork hook closes inherited sockets in the child (without
shutdown(), which would cut the parent's connection too). CommandPool reconnects in the child.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import re
import socket
import struct
import threading
import time
import uuid as uuid_module
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from telephony.config import NodeConfig
from telephony.errors import (
    AuthenticationError,
    CommandError,
    ConnectionLost,
    ESLError,
    ESLTimeout,
    InvalidCommand,
    NodeUnreachable,
    ProtocolError,
)
from telephony.protocol import (
    API_RESPONSE,
    AUTH_REQUEST,
    COMMAND_REPLY,
    DISCONNECT_NOTICE,
    EVENT_TYPES,
    LOG_DATA,
    REPLY_TYPES,
    RUDE_REJECTION,
    Event,
    EventFormat,
    Frame,
    FrameParser,
    Reply,
    build_event_command,
    build_filter_command,
    build_nixevent_command,
    build_sendmsg,
    encode_command,
    parse_event,
    parse_reply,
)

log = logging.getLogger(__name__)

JOB_UUID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_RECV_SIZE = 256 * 1024

Overflow = Literal["drop", "disconnect"]


# ---- fork safety --------------------------------------------------------------------------------

_connections: weakref.WeakSet[ESLConnection] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """Drop every inherited connection: the parent still owns those sockets."""
    for conn in list(_connections):
        conn.forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


# ---- futures ------------------------------------------------------------------------------------


class _Pending:
    """A slot for the reply to one command, filled by the reader thread."""

    __slots__ = ("done", "error", "job", "reply")

    def __init__(self, job: BackgroundJob | None = None) -> None:
        self.done = threading.Event()
        self.reply: Reply | None = None
        self.error: ESLError | None = None
        self.job = job


class BackgroundJob(Future[str]):
    """A future for one bgapi job: resolves with the BACKGROUND_JOB body (the api output)."""

    def __init__(self, job_uuid: str, node: str | None = None) -> None:
        super().__init__()
        self.job_uuid = job_uuid
        self.node = node

    def result(self, timeout: float | None = None) -> str:
        """The job's output, e.g. `+OK <uuid>\\n` or `-ERR USER_BUSY\\n`; ESLTimeout if not in time.

        A timeout here does not drop the connection: the event may still come (or was filtered out).
        """
        try:
            return super().result(timeout)
        except FutureTimeout:
            raise ESLTimeout(
                f"no BACKGROUND_JOB for job {self.job_uuid} in time", node=self.node
            ) from None

    # The reader thread resolves a job while a lost connection or the eviction of unclaimed
    # results may fail it: whichever comes first wins, the other is a no-op.
    def _resolve(self, body: str) -> None:
        with contextlib.suppress(InvalidStateError):
            self.set_result(body)

    def _fail(self, error: ESLError) -> None:
        with contextlib.suppress(InvalidStateError):
            self.set_exception(error)


# ---- one connection -----------------------------------------------------------------------------


class ESLConnection:
    """One inbound ESL socket: auth, api, bgapi, subscriptions, sendmsg; safe for several threads.

    Events not claimed by a BackgroundJob go to `on_event` (called in the reader thread; keep it
    short) or, without a callback, to a bounded queue read by `read_event()`. When that queue is
    full, `on_overflow="drop"` discards the new event and counts it in `events_dropped`;
    `"disconnect"` drops the connection instead (what FreeSWITCH itself does to a listener that
    loses events), so an event consumer reconnects and reconciles rather than silently missing one.
    `event_queue_size=0` keeps no queue at all (command connections: unclaimed events are counted
    and discarded).
    """

    # Test-only switch (STYLE rule 15): False releases the lock before the write, the race the
    # lock exists to prevent. Never set it outside the control test.
    _guard_writes = True

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        name: str | None = None,
        timeout: float = 5.0,
        connect_timeout: float = 5.0,
        event_queue_size: int = 10000,
        on_overflow: Overflow = "drop",
        on_event: Callable[[Event], None] | None = None,
        jobs_kept: int = 10000,
    ) -> None:
        self.host = host
        self.port = port
        self._password = password
        self.name = name or f"{host}:{port}"
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.on_overflow = on_overflow
        self.on_event = on_event
        self.jobs_kept = jobs_kept
        self.events_dropped = 0
        # None in the queue is the wake-up call _fail() leaves for a blocked read_event().
        self._events: queue.Queue[Event | None] | None = (
            queue.Queue(maxsize=event_queue_size) if event_queue_size > 0 else None
        )
        self._send_lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._jobs_lock = threading.Lock()
        self._pending: collections.deque[_Pending] = collections.deque()
        self._jobs: collections.OrderedDict[str, BackgroundJob] = collections.OrderedDict()
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._pid: int | None = None
        self._state: Literal["new", "up", "closing", "closed", "lost"] = "new"
        self._lost: tuple[str, str | None] | None = None  # (message, reason) once gone
        self._notice: str | None = None  # body of a text/disconnect-notice, reported at EOF
        _connections.add(self)

    @classmethod
    def for_node(cls, node: NodeConfig, **options: object) -> ESLConnection:
        """A connection to one configured node."""
        return cls(node.host, node.port, node.password, name=node.name, **options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<ESLConnection {self.name} at {self.host}:{self.port} {self._state}>"

    # -- state --

    @property
    def connected(self) -> bool:
        """True while the socket is authenticated and usable by this process."""
        return self._state == "up" and self._pid == os.getpid()

    @property
    def lost_reason(self) -> str | None:
        """Why the connection ended (e.g. the disconnect notice text), once it has."""
        return None if self._lost is None else (self._lost[1] or self._lost[0])

    def _lost_error(self) -> ConnectionLost:
        message, reason = self._lost or ("connection closed", None)
        return ConnectionLost(message, node=self.name, reason=reason)

    def _check_usable(self) -> socket.socket:
        if self._pid is not None and self._pid != os.getpid():
            raise ConnectionLost(
                f"connection belongs to process {self._pid}; open a new one after fork",
                node=self.name,
            )
        if self._lost is not None:
            raise self._lost_error()
        if self._state not in ("up", "closing") or self._sock is None:
            raise ConnectionLost("not connected", node=self.name)
        return self._sock

    # -- connect --

    def connect(self) -> ESLConnection:
        """Open the socket and authenticate; AuthenticationError if the password is refused."""
        with self._connect_lock:
            if self.connected:
                return self
            if self._state != "new":
                raise ConnectionLost("a closed connection cannot be reopened", node=self.name)
            sock = self._open_socket()
            parser = FrameParser()
            try:
                leftover = self._handshake(sock, parser)
            except BaseException:
                sock.close()
                raise
            # Reads block in the reader thread; writes give up after the call timeout (a node
            # that stops reading must not hang a Celery task in sendall()).
            sock.settimeout(None)
            seconds = max(self.timeout, 0.001)
            sock.setsockopt(
                socket.SOL_SOCKET,
                socket.SO_SNDTIMEO,
                struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000)),
            )
            self._sock = sock
            self._pid = os.getpid()
            self._state = "up"
            self._reader = threading.Thread(
                target=self._read_loop,
                args=(sock, parser, leftover),
                name=f"esl-reader-{self.name}",
                daemon=True,
            )
            self._reader.start()
            return self

    def _open_socket(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError:
            raise ESLTimeout(
                f"no TCP connection to {self.host}:{self.port} within {self.connect_timeout} s",
                node=self.name,
            ) from None
        except OSError as exc:
            raise NodeUnreachable(
                f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}",
                node=self.name,
                reason=exc.strerror,
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    def _handshake(self, sock: socket.socket, parser: FrameParser) -> list[Frame]:
        """Wait for auth/request, send `auth`, read the reply; return frames read past it."""
        deadline = time.monotonic() + self.connect_timeout
        frames: list[Frame] = []
        greeting = self._next_frame(sock, parser, frames, deadline)
        if greeting.content_type == RUDE_REJECTION:
            raise AuthenticationError(
                f"the node's ACL refused us: {greeting.text().strip()}", node=self.name
            )
        if greeting.content_type != AUTH_REQUEST:
            raise ProtocolError(
                f"expected auth/request, got {greeting.content_type!r}", node=self.name
            )
        # The password goes on the wire only; errors below quote the reply, never the command.
        payload = encode_command(f"auth {self._password}")
        try:
            sock.sendall(payload)
        except OSError as exc:
            raise ConnectionLost(f"connection lost during auth: {exc}", node=self.name) from None
        answer = self._next_frame(sock, parser, frames, deadline)
        if answer.content_type != COMMAND_REPLY:
            raise ProtocolError(f"unexpected {answer.content_type!r} after auth", node=self.name)
        reply = parse_reply(answer)
        if not reply.ok:
            raise AuthenticationError(
                f"authentication failed: {reply.text or 'no reply text'}", node=self.name
            )
        return frames

    def _next_frame(
        self, sock: socket.socket, parser: FrameParser, frames: list[Frame], deadline: float
    ) -> Frame:
        """One frame during the handshake (blocking, with the connect deadline)."""
        while not frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ESLTimeout("no ESL greeting or auth reply in time", node=self.name)
            sock.settimeout(remaining)
            try:
                data = sock.recv(_RECV_SIZE)
            except TimeoutError:
                continue
            except OSError as exc:
                raise ConnectionLost(
                    f"connection lost during auth: {exc}", node=self.name
                ) from None
            if not data:
                raise ConnectionLost("the node closed the connection during auth", node=self.name)
            frames.extend(parser.feed(data))
        return frames.pop(0)

    # -- sending --

    def send(
        self,
        command: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        *,
        timeout: float | None = None,
    ) -> Reply:
        """Send one raw ESL command and return its reply, whatever it says."""
        return self._request(encode_command(command, headers, body), timeout)

    def _request(
        self, payload: bytes, timeout: float | None, job: BackgroundJob | None = None
    ) -> Reply:
        pending = _Pending(job)
        # ONE lock around "register the pending slot + write": replies come back in write order,
        # so the slots must be queued in write order too.
        with self._send_lock:
            sock = self._check_usable()
            if job is not None:
                self._track_job(job)
            self._pending.append(pending)
            if self._lost is not None:
                # _fail() ran between the check and the append and may have missed our slot.
                raise self._lost_error()
            if self._guard_writes:
                self._write(sock, payload)
        if not self._guard_writes:
            self._write(sock, payload)  # test-only control: shows why the lock must cover this
        wait = self.timeout if timeout is None else timeout
        if not pending.done.wait(wait):
            # The reply may still arrive and would be taken for the next command's: drop it all.
            self._fail("connection dropped after a command timed out", "timeout")
            raise ESLTimeout(f"no reply within {wait} s; connection dropped", node=self.name)
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def _write(self, sock: socket.socket, payload: bytes) -> None:
        try:
            sock.sendall(payload)
        except OSError as exc:
            self._fail(f"write failed: {exc.strerror or exc}", None)
            raise self._lost_error() from None

    def command(
        self,
        command: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send a command whose `-ERR` reply is a CommandError."""
        reply = self.send(command, headers, body, timeout=timeout)
        if reply.text.startswith("-"):
            raise CommandError(reply.text, node=self.name)
        return reply

    def api(self, command: str, *, timeout: float | None = None) -> str:
        """Run `api <command>` and return its body; api errors (`-ERR ...`, `-USAGE`) are in it."""
        reply = self._request(encode_command(f"api {command}"), timeout)
        if reply.content_type != API_RESPONSE:
            raise CommandError(reply.text, node=self.name)
        return reply.text

    def bgapi_job(
        self, command: str, *, job_uuid: str | None = None, timeout: float | None = None
    ) -> BackgroundJob:
        """Send `bgapi <command>` with our own Job-UUID; the future resolves on BACKGROUND_JOB
        (only if this connection is subscribed to BACKGROUND_JOB and no filter drops it)."""
        job = BackgroundJob(self._job_uuid(job_uuid), node=self.name)
        payload = encode_command(f"bgapi {command}", [("Job-UUID", job.job_uuid)])
        reply = self._request(payload, timeout, job)
        if not reply.ok:
            self._forget_job(job.job_uuid)
            raise CommandError(reply.text, node=self.name)
        return job

    def bgapi(
        self, command: str, *, job_uuid: str | None = None, timeout: float | None = None
    ) -> str:
        """Send `bgapi <command>` and return the job uuid; see `bgapi_result()` for its output."""
        return self.bgapi_job(command, job_uuid=job_uuid, timeout=timeout).job_uuid

    def bgapi_many(
        self, commands: Sequence[tuple[str, str | None]], *, timeout: float | None = None
    ) -> list[str | ESLError]:
        """Pipeline several `bgapi <command>`s (each with its Job-UUID): write them all under one
        lock, then collect the `+OK Job-UUID` replies in order. Returns, per command in order,
        its job uuid or the ESLError it met (a `-ERR` reply is a CommandError for that command
        alone; a lost connection fails every command not yet answered)."""
        items: list[tuple[BackgroundJob, _Pending] | ESLError] = []
        payloads: list[bytes] = []
        for command, job_uuid in commands:
            try:
                job = BackgroundJob(self._job_uuid(job_uuid), node=self.name)
            except ESLError as exc:
                items.append(exc)  # refused here, never written
                continue
            items.append((job, _Pending(job)))
            payloads.append(encode_command(f"bgapi {command}", [("Job-UUID", job.job_uuid)]))
        sent = [item for item in items if not isinstance(item, ESLError)]
        if sent:
            try:
                # ONE lock around "register every slot + write them all": FreeSWITCH answers in
                # order (capture 17), so the slots must sit in the FIFO in wire order, unbroken.
                with self._send_lock:
                    sock = self._check_usable()
                    for job, pending in sent:
                        self._track_job(job)
                        self._pending.append(pending)
                    if self._lost is not None:
                        raise self._lost_error()
                    self._write(sock, b"".join(payloads))
            except ESLError as exc:
                for _job, pending in sent:
                    if not pending.done.is_set():
                        pending.error = exc
                        pending.done.set()
        wait = self.timeout if timeout is None else timeout
        out: list[str | ESLError] = []
        for item in items:
            if isinstance(item, ESLError):
                out.append(item)
                continue
            job, pending = item
            if not pending.done.wait(wait):
                # Its reply may still arrive and would be matched to a later command: drop it all.
                self._fail("connection dropped after a command timed out", "timeout")
                if pending.reply is None:
                    pending.error = ESLTimeout(
                        f"no reply within {wait} s; connection dropped", node=self.name)
            if pending.reply is not None and pending.error is None:
                if pending.reply.ok:
                    out.append(job.job_uuid)
                    continue
                self._forget_job(job.job_uuid)
                out.append(CommandError(pending.reply.text, node=self.name))
                continue
            self._forget_job(job.job_uuid)
            assert pending.error is not None
            out.append(pending.error)
        return out

    def bgapi_result(self, job_uuid: str, timeout: float | None = None) -> str:
        """Wait for the BACKGROUND_JOB of a job sent on this connection and return its body."""
        with self._jobs_lock:
            job = self._jobs.get(job_uuid)
        if job is None:
            raise ESLError(f"job {job_uuid} was not sent on this connection", node=self.name)
        body = job.result(self.timeout if timeout is None else timeout)
        self._forget_job(job_uuid)
        return body

    @staticmethod
    def _job_uuid(job_uuid: str | None) -> str:
        if job_uuid is None:
            return str(uuid_module.uuid4())
        if not JOB_UUID.fullmatch(job_uuid):
            raise InvalidCommand("invalid Job-UUID")
        return job_uuid

    def _track_job(self, job: BackgroundJob) -> None:
        with self._jobs_lock:
            self._jobs[job.job_uuid] = job
            # Results nobody claims must not pile up forever: forget the oldest.
            while len(self._jobs) > self.jobs_kept:
                _, old = self._jobs.popitem(last=False)
                old._fail(ESLError("job result forgotten (too many unclaimed)", node=self.name))

    def _forget_job(self, job_uuid: str) -> None:
        with self._jobs_lock:
            self._jobs.pop(job_uuid, None)

    def subscribe(
        self, names: Iterable[str], custom: Iterable[str] = (), *, fmt: EventFormat = "plain"
    ) -> None:
        """`event <fmt> NAMES... CUSTOM subclasses...` (names always before CUSTOM)."""
        self.command(build_event_command(fmt, names, custom))

    def unsubscribe(self, names: Iterable[str], custom: Iterable[str] = ()) -> None:
        """`nixevent NAMES... [CUSTOM subclasses...]`."""
        self.command(build_nixevent_command(names, custom))

    def noevents(self) -> None:
        """`noevents`: stop every subscription."""
        self.command("noevents")

    def filter(self, header: str, value: str) -> None:
        """`filter <Header> <value>`; once any filter exists, unmatched events are dropped."""
        self.command(build_filter_command(header, value))

    def filter_delete(self, header: str, value: str) -> None:
        """`filter delete <Header> <value>`."""
        self.command(build_filter_command(header, value, delete=True))

    def sendmsg(
        self,
        uuid: str,
        app: str | None = None,
        arg: str | None = None,
        *,
        call_command: Literal["execute", "hangup"] = "execute",
        event_uuid: str | None = None,
        event_lock: bool = False,
        hangup_cause: str | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """`sendmsg <uuid>` executing an application (long arguments go in a text/plain body)."""
        msg = build_sendmsg(
            uuid,
            app,
            arg,
            call_command=call_command,
            event_uuid=event_uuid,
            event_lock=event_lock,
            hangup_cause=hangup_cause,
        )
        return self.command(msg.command, msg.headers, body=msg.body, timeout=timeout)

    # -- events --

    def read_event(self, timeout: float | None = None) -> Event | None:
        """The next queued event, or None after `timeout`; ConnectionLost once the socket is gone
        and the queue is drained."""
        if self._events is None:
            raise ESLError("this connection keeps no event queue", node=self.name)
        try:
            event = self._events.get(block=self._lost is None, timeout=timeout)
        except queue.Empty:
            if self._lost is not None:
                raise self._lost_error() from None
            return None
        if event is None:
            with contextlib.suppress(queue.Full):
                self._events.put_nowait(None)  # wake the next reader too
            raise self._lost_error()
        return event

    # -- reader thread --

    def _read_loop(self, sock: socket.socket, parser: FrameParser, frames: list[Frame]) -> None:
        try:
            self._dispatch(frames)
            while True:
                try:
                    data = sock.recv(_RECV_SIZE)
                except OSError as exc:
                    self._fail(f"connection lost: {exc.strerror or exc}", self._notice)
                    return
                if not data:
                    self._eof()
                    return
                self._dispatch(parser.feed(data))
        except ProtocolError as exc:
            self._fail(f"protocol error: {exc}", "protocol error")
        except Exception as exc:  # a bug must not leave callers waiting forever
            log.exception("ESL reader for %s failed", self.name)
            self._fail(f"reader failed: {exc}", None)

    def _eof(self) -> None:
        if self._state == "closing":
            self._fail("connection closed", self._notice or "exit", state="closed")
        elif self._notice is not None:
            self._fail(f"the node disconnected us: {self._notice}", self._notice)
        else:
            self._fail("connection closed by the node", "EOF")

    def _dispatch(self, frames: list[Frame]) -> None:
        for frame in frames:
            kind = frame.content_type
            if kind in EVENT_TYPES:
                self._deliver(parse_event(frame))
            elif kind in REPLY_TYPES:
                try:
                    pending = self._pending.popleft()
                except IndexError:
                    raise ProtocolError("a reply arrived with no command waiting") from None
                pending.reply = reply = parse_reply(frame)
                if pending.job is not None and reply.job_uuid not in (None, pending.job.job_uuid):
                    self._rekey_job(pending.job, reply.job_uuid)
                pending.done.set()
            elif kind in (DISCONNECT_NOTICE, RUDE_REJECTION):
                if frame.headers.get("Content-Disposition") == "linger":
                    continue  # a controlled session ended; the socket stays up
                self._notice = frame.text().strip() or kind
            elif kind == LOG_DATA:
                log.debug("ESL log from %s: %s", self.name, frame.text().rstrip())
            else:
                log.warning("ignoring unexpected ESL frame %r from %s", kind, self.name)

    def _rekey_job(self, job: BackgroundJob, job_uuid: str | None) -> None:
        """The node ignored our Job-UUID (FreeSWITCH honours it): follow the one it chose."""
        assert job_uuid is not None
        with self._jobs_lock:
            self._jobs.pop(job.job_uuid, None)
            job.job_uuid = job_uuid
            self._jobs[job_uuid] = job

    def _deliver(self, event: Event) -> None:
        if event.name == "BACKGROUND_JOB" and self._jobs:
            job_uuid = event.get("Job-UUID")
            with self._jobs_lock:
                job = self._jobs.get(job_uuid) if job_uuid else None
            if job is not None:
                job._resolve(event.body)
                return
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("event callback failed on %s", self.name)
            return
        if self._events is None:
            self.events_dropped += 1
            return
        try:
            self._events.put_nowait(event)
        except queue.Full:
            self.events_dropped += 1
            if self.on_overflow == "disconnect":
                raise ProtocolError("event queue overflow: events were lost") from None
            if self.events_dropped in (1, 10, 100) or self.events_dropped % 1000 == 0:
                log.warning("%s: event queue full, %d dropped", self.name, self.events_dropped)

    # -- teardown --

    def _fail(self, message: str, reason: str | None, state: str = "lost") -> None:
        """Mark the connection gone, close the socket and release every waiter."""
        with self._jobs_lock:
            if self._lost is not None:
                return
            self._lost = (message, reason)
            self._state = "closed" if state == "closed" else "lost"
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
            sock.close()
        while self._pending:
            try:
                pending = self._pending.popleft()
            except IndexError:
                break
            pending.error = self._lost_error()
            pending.done.set()
        with self._jobs_lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job._fail(self._lost_error())
        if self._events is not None:
            with contextlib.suppress(queue.Full):
                self._events.put_nowait(None)

    def exit(self, timeout: float = 2.0) -> None:
        """Leave cleanly: `exit`, `+OK bye`, the disconnect notice, then the node closes."""
        if not self.connected:
            self.close()
            return
        self._state = "closing"
        with contextlib.suppress(ESLError):
            self._request(encode_command("exit"), timeout)
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)
        self._fail("connection closed", self._notice or "exit", state="closed")

    def close(self) -> None:
        """Close at once (no `exit`); safe to call twice and from any thread."""
        if self._pid is not None and self._pid != os.getpid():
            self.forget_after_fork()
            return
        if self._state in ("up", "closing"):
            self._state = "closing"
        self._fail("connection closed", "closed by us", state="closed")
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(2.0)

    def forget_after_fork(self) -> None:
        """In a forked child: close our copy of the socket without touching the parent's."""
        if self._pid is None or self._pid == os.getpid():
            return
        sock, self._sock = self._sock, None
        if sock is not None:
            fd = sock.detach()
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._send_lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._jobs_lock = threading.Lock()
        self._pending = collections.deque()
        self._jobs = collections.OrderedDict()
        self._state = "lost"
        self._lost = ("connection was inherited across fork; open a new one after fork", "fork")
