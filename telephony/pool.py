"""The per-process command pool: one persistent ESL connection per node, opened lazily (so after
fork), with exponential reconnect backoff and per-node health for dispatch to skip down nodes."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from telephony.config import NodeConfig
from telephony.connection import BackgroundJob, ESLConnection
from telephony.errors import (
    AuthenticationError,
    ConnectionLost,
    ESLError,
    ESLTimeout,
    NodeUnreachable,
)

log = logging.getLogger(__name__)

_pools: weakref.WeakSet[CommandPool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """Forget inherited connections; the connections themselves are dropped by their own hook."""
    for pool in list(_pools):
        pool.forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: base * factor**(n-1), capped, times [1-jitter, 1]."""

    base: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.5

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after `failures` consecutive failures (0 after none)."""
        if failures <= 0:
            return 0.0
        raw = min(self.maximum, self.base * self.factor ** min(failures - 1, 60))
        # Jitter spreads the reconnects of many workers after a node restart.
        return raw * (1.0 - self.jitter * (rng or random).random())


@dataclass(frozen=True)
class NodeHealth:
    """What the pool knows about one node, for dispatch to skip nodes that are down."""

    node: str
    up: bool
    consecutive_failures: int
    last_error: str | None
    retry_at: float | None


class _NodeSlot:
    """Per-node state inside a CommandPool."""

    __slots__ = ("config", "conn", "failures", "last_error", "lock", "retry_at")

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.conn: ESLConnection | None = None
        self.lock = threading.Lock()
        self.failures = 0
        self.last_error: str | None = None
        self.retry_at = 0.0


# Errors that say something about the node, not about the command sent to it.
_NODE_FAILURES = (ConnectionLost, ESLTimeout, AuthenticationError)


class CommandPool:
    """Per process: one persistent command connection per node, opened lazily (after fork), with
    reconnect backoff and health. Its connections subscribe to nothing but BACKGROUND_JOB."""

    def __init__(
        self,
        nodes: Iterable[NodeConfig],
        *,
        timeout: float = 5.0,
        connect_timeout: float = 3.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.rng = rng or random.Random()
        self._slots = {node.name: _NodeSlot(node) for node in nodes}
        self._pid = os.getpid()
        _pools.add(self)

    def __repr__(self) -> str:
        return f"<CommandPool nodes={sorted(self._slots)}>"

    @property
    def nodes(self) -> tuple[str, ...]:
        """Configured node names."""
        return tuple(self._slots)

    def _slot(self, node: str) -> _NodeSlot:
        if os.getpid() != self._pid:
            self.forget_after_fork()
        try:
            return self._slots[node]
        except KeyError:
            raise ESLError(f"unknown node {node!r}") from None

    def connection(self, node: str) -> ESLConnection:
        """The node's live connection, opening it if needed; ConnectionLost while backing off."""
        slot = self._slot(node)
        with slot.lock:
            conn = slot.conn
            if conn is not None and conn.connected:
                return conn
            if conn is not None:
                slot.conn = None  # died while idle (node restart, idle timeout): try again now
                conn.close()
            now = self.clock()
            if slot.failures and now < slot.retry_at:
                raise NodeUnreachable(
                    f"node is down ({slot.failures} failures); next attempt in "
                    f"{slot.retry_at - now:.1f} s",
                    node=node,
                    reason=slot.last_error,
                )
            conn = ESLConnection.for_node(
                slot.config,
                timeout=self.timeout,
                connect_timeout=self.connect_timeout,
                event_queue_size=0,
            )
            try:
                conn.connect()
                conn.subscribe(["BACKGROUND_JOB"])
            except ESLError as exc:
                conn.close()
                self._record_failure(slot, exc)
                raise
            slot.conn = conn
            self._record_success(slot)
            return conn

    def _record_failure(self, slot: _NodeSlot, exc: ESLError) -> None:
        slot.failures += 1
        slot.last_error = str(exc)
        slot.retry_at = self.clock() + self.backoff.delay(slot.failures, self.rng)
        log.warning(
            "ESL node %s failed (%d in a row), retry in %.1f s: %s",
            slot.config.name,
            slot.failures,
            slot.retry_at - self.clock(),
            exc.detail,
        )

    @staticmethod
    def _record_success(slot: _NodeSlot) -> None:
        slot.failures = 0
        slot.last_error = None
        slot.retry_at = 0.0

    def _call(self, node: str, action: Callable[[ESLConnection], str]) -> str:
        conn = self.connection(node)
        try:
            return action(conn)
        except _NODE_FAILURES as exc:
            slot = self._slot(node)
            with slot.lock:
                if slot.conn is conn:
                    slot.conn = None
                self._record_failure(slot, exc)
            conn.close()
            raise

    def api(self, node: str, command: str, *, timeout: float | None = None) -> str:
        """`api <command>` on a node; returns the body."""
        return self._call(node, lambda conn: conn.api(command, timeout=timeout))

    def bgapi(
        self, node: str, command: str, *, job_uuid: str | None = None, timeout: float | None = None
    ) -> str:
        """`bgapi <command>` on a node with our Job-UUID; returns the job uuid."""
        return self._call(
            node, lambda conn: conn.bgapi(command, job_uuid=job_uuid, timeout=timeout)
        )

    def bgapi_many(
        self,
        node: str,
        commands: Sequence[tuple[str, str | None]],
        *,
        timeout: float | None = None,
    ) -> list[str | ESLError]:
        """Several `bgapi`s pipelined on the node's connection; per command its job uuid or the
        ESLError it met (see ESLConnection.bgapi_many). Never raises for a node failure."""
        if not commands:
            return []
        try:
            conn = self.connection(node)
        except ESLError as exc:
            return [exc] * len(commands)
        results = conn.bgapi_many(commands, timeout=timeout)
        failure = next((r for r in results if isinstance(r, _NODE_FAILURES)), None)
        if failure is not None:
            slot = self._slot(node)
            with slot.lock:
                if slot.conn is conn:
                    slot.conn = None
                self._record_failure(slot, failure)
            conn.close()
        return results

    def bgapi_job(
        self, node: str, command: str, *, job_uuid: str | None = None, timeout: float | None = None
    ) -> BackgroundJob:
        """`bgapi <command>` on a node; a future for its BACKGROUND_JOB result."""
        jobs: list[BackgroundJob] = []

        def send(conn: ESLConnection) -> str:
            jobs.append(conn.bgapi_job(command, job_uuid=job_uuid, timeout=timeout))
            return jobs[0].job_uuid

        self._call(node, send)
        return jobs[0]

    def is_up(self, node: str) -> bool:
        """False while the node's last attempt failed (dispatch skips it)."""
        return self._slot(node).failures == 0

    def health(self, node: str) -> NodeHealth:
        """Failures, last error and next retry time of one node."""
        slot = self._slot(node)
        return NodeHealth(
            node=node,
            up=slot.failures == 0,
            consecutive_failures=slot.failures,
            last_error=slot.last_error,
            retry_at=slot.retry_at if slot.failures else None,
        )

    def up_nodes(self) -> list[str]:
        """Names of nodes not currently marked down."""
        return [name for name in self._slots if self.is_up(name)]

    def update_nodes(self, nodes: Iterable[NodeConfig]) -> None:
        """Follow the node list: add new nodes, reopen changed ones, close removed ones."""
        wanted = {node.name: node for node in nodes}
        stale: list[ESLConnection] = []
        for name in list(self._slots):
            slot = self._slots[name]
            if wanted.get(name) != slot.config:  # removed, or its address/password changed
                with slot.lock:
                    if slot.conn is not None:
                        stale.append(slot.conn)
                    del self._slots[name]
        for name, config in wanted.items():
            if name not in self._slots:
                self._slots[name] = _NodeSlot(config)
        for conn in stale:
            conn.close()

    def close_all(self) -> None:
        """Close every connection (each closes with `exit`)."""
        for slot in self._slots.values():
            with slot.lock:
                conn, slot.conn = slot.conn, None
            if conn is not None:
                conn.exit(timeout=1.0)

    def forget_after_fork(self) -> None:
        """In a forked child: start from nothing; the inherited sockets belong to the parent."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        for name, slot in list(self._slots.items()):
            if slot.conn is not None:
                slot.conn.forget_after_fork()
            self._slots[name] = _NodeSlot(slot.config)
