"""One SIP proxy's presence feed in the listener: evapi events, `ul.dump` reconcile, liveness.

The proxy's feed thread is the node feed's sibling (same lease, same grace and loss rules, driven
by the listener's upkeep), with the proxy's own rules (telephony.presence_proxy):

* every (re)connect: the proxy is untrusted (`syncing`) until `ul.dump` has replaced what Redis
  holds for it; evapi drops every event while no client is connected, so nothing else is safe;
* a lost evapi connection makes the proxy's registrations untrusted at once (fail closed);
* a new `boot` (the proxy restarted; its location table is empty) or a `seq` jump (events were
  lost) triggers the reconcile;
* evapi has no heartbeat: a JSON-RPC `htable.get sys boot` every `ping_seconds` proves the proxy
  alive (the grace rule), and reveals a restart the socket did not.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
from typing import TYPE_CHECKING

import redis

from telephony.config import ProxyConfig
from telephony.evapi import EvapiError, JsonRpc, NetstringReader, ProxyEvent, RpcError, parse_event
from telephony.pool import Backoff
from telephony.presence_proxy import ProxyPresence

if TYPE_CHECKING:
    from telephony.listener import Listener

log = logging.getLogger("switchboard.listener")


class FeedEnded(Exception):
    """The evapi connection ended (EOF, a kick, a lost lease): reconnect."""


class ProxyFeed(threading.Thread):
    """One proxy's evapi stream: connect, reconcile, pump, reconnect with backoff."""

    def __init__(self, proxy: ProxyConfig, listener: Listener, ping_seconds: float = 2.0) -> None:
        super().__init__(name=f"listener-{proxy.name}", daemon=True)
        self.node = proxy  # the listener's upkeep reads .node.name/.host/.port of every feed
        self.proxy = proxy
        self.listener = listener
        self.config = listener.config
        self.store = listener.store
        self.presence = ProxyPresence(listener.store)
        self.rpc = JsonRpc(proxy.host, proxy.rpc_port, timeout=self.config.command_timeout,
                           password=proxy.rpc_password)
        self.ping_seconds = ping_seconds
        self.owned = threading.Event()
        self.retired = threading.Event()
        self.kick = threading.Event()
        self.connected = False
        self.core = ""  # the proxy's boot
        self.last_seq = 0
        self.last_activity = time.time()
        self.lost_declared = False
        self.reconciles = 0
        self._sock: socket.socket | None = None
        self._backoff = Backoff(maximum=self.config.backoff_max)
        self._rng = random.Random()

    # -- lifecycle --------------------------------------------------------------------------

    def run(self) -> None:
        stop = self.listener.stopping
        failures = 0
        while not stop.is_set() and not self.retired.is_set():
            if not self.owned.wait(0.5):
                continue
            reason = "stopping"
            try:
                self._session()
            except FeedEnded as exc:
                reason = str(exc)
            except (OSError, EvapiError, RpcError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            except redis.RedisError as exc:
                reason = f"redis failed: {exc}"
            except Exception as exc:
                log.exception("proxy %s: feed failed", self.proxy.name)
                reason = f"feed failed: {type(exc).__name__}"
            finally:
                self.close()
            if self.connected:
                failures = 0
                self._on_disconnect(reason)
            else:
                failures += 1
                log.warning("proxy %s: connect failed: %s", self.proxy.name, reason)
                self._declare_lost("evapi unreachable")
            if stop.is_set() or self.retired.is_set():
                break
            stop.wait(self._backoff.delay(max(failures, 1), self._rng))

    def close(self) -> None:
        """Drop the evapi connection now (stop, retire, or lease lost)."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _declare_lost(self, reason: str) -> None:
        try:
            self.listener.declare_lost(self, reason)
        except redis.RedisError as exc:
            log.warning("proxy %s: could not record the loss: %s", self.proxy.name, exc)

    def _on_disconnect(self, reason: str) -> None:
        """Fail closed: evapi drops events while we are away, so nothing held is current."""
        self.connected = False
        self.last_activity = time.time()
        log.info("proxy %s (%s:%s) disconnected: %s", self.proxy.name, self.proxy.host,
                 self.proxy.evapi_port, reason)
        # Also when this listener stops or hands the lease over: while nobody follows the
        # feed, its events are dropped, so the proxy's registrations are untrusted until the
        # next listener's reconcile (a crashed listener's trust lapses after the grace period).
        self._declare_lost("listener stopped" if self.listener.stopping.is_set()
                           else "evapi connection lost")

    # -- a session --------------------------------------------------------------------------

    def _session(self) -> None:
        sock = socket.create_connection((self.proxy.host, self.proxy.evapi_port),
                                        timeout=self.config.connect_timeout)
        sock.settimeout(0.25)
        self._sock = sock
        reader = NetstringReader()
        pending: list[ProxyEvent] = []
        deadline = time.monotonic() + self.config.command_timeout
        hello: ProxyEvent | None = None
        while hello is None:
            if time.monotonic() > deadline:
                raise FeedEnded("no hello from the proxy")
            for event in self._read(sock, reader):
                if event.kind == "hello" and hello is None:
                    hello = event
                else:
                    pending.append(event)
        self._start_run(hello.boot, hello.seq)
        self.connected = True
        self.lost_declared = False
        log.info("proxy %s (%s:%s) connected, boot %s", self.proxy.name, self.proxy.host,
                 self.proxy.evapi_port, self.core)
        if pending:
            self._handle(pending)
        next_ping = time.monotonic() + self.ping_seconds
        next_reconcile = time.monotonic() + self.config.reconcile_seconds
        stop = self.listener.stopping
        while not stop.is_set() and self.owned.is_set() and not self.retired.is_set():
            if self.kick.is_set():
                self.kick.clear()
                raise FeedEnded("silent past the grace period")
            events = self._read(sock, reader)
            if events:
                self._handle(events)
            now = time.monotonic()
            if now >= next_ping:
                next_ping = now + self.ping_seconds
                boot = self.rpc.boot()
                if boot != self.core:
                    # Restarted under us and the socket has not told yet: the next read EOFs.
                    raise FeedEnded("the proxy restarted (new boot)")
                self.last_activity = time.time()
                self.store.node_seen(self.proxy.name, self.last_activity,
                                     self.config.grace_seconds)
            if now >= next_reconcile:
                next_reconcile = now + self.config.reconcile_seconds
                self._reconcile()
        raise FeedEnded("stopping" if stop.is_set() else "lease released")

    def _read(self, sock: socket.socket, reader: NetstringReader) -> list[ProxyEvent]:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise FeedEnded("EOF")
        return [parse_event(payload) for payload in reader.feed(data)]

    def _start_run(self, boot: str, seq: int) -> None:
        """A (re)connect or a new boot: untrusted, then reconciled from ul.dump."""
        now = time.time()
        previous = self.store.node_status(self.proxy.name).core
        self.presence.connected(self.proxy.name, boot, now)
        self.core = boot
        self.last_seq = seq
        if previous and previous != boot:
            log.info("proxy %s restarted: boot %s after %s", self.proxy.name, boot, previous)
        # Nothing goes on the events stream: NODE_CONNECTED/NODE_LOST there ask the results
        # side to reconcile a node's calls, and a proxy carries none of its own.
        self._reconcile()

    def _reconcile(self) -> None:
        now = time.time()
        contacts = self.rpc.dump(self.proxy.domain, now)
        added, removed = self.presence.reconcile(self.proxy.name, self.core, contacts, now)
        self.reconciles += 1
        self.last_activity = time.time()
        self.store.node_seen(self.proxy.name, self.last_activity, self.config.grace_seconds)
        if added or removed:
            log.info("proxy %s reconciled: %d listed, %d added, %d removed", self.proxy.name,
                     len(contacts), added, removed)

    def _handle(self, events: list[ProxyEvent]) -> None:
        """Apply one burst; a new boot or a seq gap ends it with a reconcile."""
        now = time.time()
        pipe = self.store.client.pipeline(transaction=False)
        gap = False
        for event in events:
            if event.boot != self.core:
                pipe.execute()
                log.info("proxy %s: new boot %s", self.proxy.name, event.boot)
                self._start_run(event.boot, event.seq)
                continue
            if event.seq > self.last_seq + 1:
                gap = True
            self.last_seq = max(self.last_seq, event.seq)
            self.presence.apply(self.proxy.name, self.proxy.domain, event, now, client=pipe)
        self.store.node_seen(self.proxy.name, now, self.config.grace_seconds, client=pipe)
        pipe.execute()
        self.last_activity = now
        if gap:
            log.info("proxy %s: events were lost (seq jumped to %d); reconciling",
                     self.proxy.name, self.last_seq)
            self._reconcile()
