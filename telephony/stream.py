"""The listener's event connection to one node: subscribe, iterate, reconnect with backoff, call
`on_connect` after every (re)connect (reconcile then) and notice a new Core-UUID (a restart)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from telephony.config import NodeConfig
from telephony.connection import JOB_UUID, ESLConnection
from telephony.errors import ConnectionLost, ESLError
from telephony.pool import Backoff
from telephony.protocol import Event, EventFormat, build_event_command, build_filter_command

log = logging.getLogger(__name__)

# The text/disconnect-notice FreeSWITCH sends every event socket when it shuts down.
SHUTDOWN_NOTICE = "The system is being shut down."


@dataclass(frozen=True)
class ConnectInfo:
    """Handed to `on_connect` after every (re)connect: reconcile then; `restarted` if Core-UUID
    changed (old channels and jobs are gone)."""

    node: str
    core_uuid: str | None
    previous_core_uuid: str | None
    reconnect: bool

    @property
    def restarted(self) -> bool:
        """True when the node came back with a different Core-UUID."""
        return (
            self.previous_core_uuid is not None
            and self.core_uuid is not None
            and self.core_uuid != self.previous_core_uuid
        )


class EventStream:
    """The listener's connection to one node: connect, auth, subscribe, filter, iterate events,
    reconnect with backoff; `on_connect` runs after every (re)connect, `on_disconnect` gets the
    reason (the disconnect notice text, e.g. "The system is being shut down.", or "EOF")."""

    def __init__(
        self,
        node: NodeConfig,
        events: Sequence[str],
        custom: Sequence[str] = (),
        *,
        fmt: EventFormat = "plain",
        filters: Sequence[tuple[str, str]] = (),
        on_connect: Callable[[ESLConnection, ConnectInfo], None] | None = None,
        on_disconnect: Callable[[str], None] | None = None,
        timeout: float = 5.0,
        connect_timeout: float = 3.0,
        queue_size: int = 100000,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        restart_retry: float = 0.5,
        restart_window: float = 60.0,
    ) -> None:
        # Build the subscription now so a bad name fails at start-up, not at the first connect.
        self._subscription = build_event_command(fmt, events, custom)
        self._filters = [build_filter_command(header, value) for header, value in filters]
        self.node = node
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.queue_size = queue_size
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        # After a shutdown notice the node is restarting: phones register again about a second
        # after its SIP port opens, and the listener should be there to see those REGISTERs.
        # So retry every `restart_retry` seconds for `restart_window` seconds, not with backoff.
        self.restart_retry = restart_retry
        self.restart_window = restart_window
        self._fast_until = 0.0
        self.conn: ESLConnection | None = None
        self.core_uuid: str | None = None
        self.connects = 0
        self.failures = 0
        self.last_error: str | None = None
        self.last_disconnect_reason: str | None = None
        self._retry_at = 0.0
        self._closed = False

    def __repr__(self) -> str:
        return f"<EventStream {self.node.name} connected={self.connected}>"

    @property
    def connected(self) -> bool:
        """True while the event connection is up."""
        return self.conn is not None and self.conn.connected

    def _connect(self) -> None:
        conn = ESLConnection.for_node(
            self.node,
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
            event_queue_size=self.queue_size,
            on_overflow="disconnect",
        )
        try:
            conn.connect()
            conn.command(self._subscription)
            for command in self._filters:
                conn.command(command)
            core_uuid = self._read_core_uuid(conn)
            info = ConnectInfo(
                node=self.node.name,
                core_uuid=core_uuid,
                previous_core_uuid=self.core_uuid,
                reconnect=self.connects > 0,
            )
            if self.on_connect is not None:
                self.on_connect(conn, info)
            # Only after on_connect succeeded: a failed reconcile retries with the same
            # previous Core-UUID, so a restart is never reported as "no change".
            if core_uuid is not None:
                self.core_uuid = core_uuid
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.connects += 1
        self.failures = 0
        self._fast_until = 0.0
        self.last_error = None

    @staticmethod
    def _read_core_uuid(conn: ESLConnection) -> str | None:
        body = conn.api("global_getvar core_uuid").strip()
        return body if JOB_UUID.fullmatch(body) and not body.startswith("-") else None

    def _lost(self, reason: str) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        self.last_disconnect_reason = reason
        self.failures += 1
        if SHUTDOWN_NOTICE.rstrip(".") in reason:
            self._fast_until = self.clock() + self.restart_window
        self._retry_at = self.clock() + self._retry_delay()
        log.warning("event connection to %s lost: %s", self.node.name, reason)
        if self.on_disconnect is not None:
            try:
                self.on_disconnect(reason)
            except Exception:  # the stream must keep reconnecting whatever the callback does
                log.exception("on_disconnect for %s failed", self.node.name)

    def _retry_delay(self) -> float:
        """Seconds to the next connect: short and fixed while a restart is awaited."""
        if self.clock() < self._fast_until:
            return self.restart_retry
        return self.backoff.delay(self.failures, self.rng)

    def next_event(self, timeout: float) -> Event | None:
        """The next event, or None when `timeout` passes; reconnects (with backoff) as needed."""
        deadline = self.clock() + timeout
        while not self._closed:
            remaining = deadline - self.clock()
            conn = self.conn
            if conn is None:
                wait = self._retry_at - self.clock()
                if wait > 0:
                    if remaining <= 0:
                        return None
                    self.sleep(min(wait, remaining))
                    continue
                try:
                    self._connect()
                except ESLError as exc:
                    self.last_error = str(exc)
                    self.failures += 1
                    self._retry_at = self.clock() + self._retry_delay()
                    log.warning("event connection to %s failed: %s", self.node.name, exc.detail)
                except Exception as exc:  # on_connect failed (e.g. reconcile): back off, retry
                    self.last_error = f"on_connect failed: {exc}"
                    self.failures += 1
                    self._retry_at = self.clock() + self._retry_delay()
                    log.exception("on_connect for %s failed", self.node.name)
                continue
            try:
                event = conn.read_event(max(remaining, 0.0))
            except ConnectionLost as exc:
                if self._closed:
                    return None  # close() from another thread: not a loss to report
                self._lost(exc.reason or str(exc))
                continue
            if event is not None:
                if event.core_uuid and event.core_uuid != self.core_uuid:
                    self.core_uuid = event.core_uuid
                return event
            if remaining <= 0:
                return None
        return None

    def __iter__(self) -> Iterator[Event]:
        """Events forever (until close()), reconnecting as needed."""
        while not self._closed:
            event = self.next_event(1.0)
            if event is not None:
                yield event

    def close(self) -> None:
        """Stop: leave with `exit` and stop iterating."""
        self._closed = True
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.exit(timeout=1.0)
