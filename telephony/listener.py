"""The event listener: one ESL event connection per FreeSWITCH node, feeding Redis.

Presence events (sofia::*, the TCP-drop event, HEARTBEAT) are applied to the presence store at
once; channel events and BACKGROUND_JOB are appended to the `<prefix>:events` stream for the
results consumer, which stores them and deduplicates by (Core-UUID, Event-Sequence). Nothing
slow happens on the socket's path: one Redis pipeline per burst of events.

Shape (STYLE rule 16): a thread per node (connect, subscribe, reconcile, pump, reconnect with
backoff), and the main thread for upkeep (ownership leases, grace checks, the expiry sweep,
agent sync). SIGTERM/SIGINT set a flag; threads close their sockets and the leases are freed.
Several listeners may run for failover: a node is pumped only by the holder of its lease.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.exceptions import LockError
from redis.lock import Lock

from telephony.client import Backoff, ConnectInfo, ESLConnection, EventStream
from telephony.config import NodeConfig, ProxyConfig
from telephony.dialstring import validate_sip_profile
from telephony.errors import ESLError
from telephony.eventlog import EventLog
from telephony.events import (
    MEDIA_SUBCLASSES,
    SUBSCRIBED_EVENTS,
    Heartbeat,
    TcpDropFormat,
    normalise,
    presence_subclasses,
    stream_fields,
)
from telephony.presence import PresenceStore
from telephony.protocol import Event
from telephony.registrations import RegistrationListError, parse_xmlstatus, safe_call_id
from telephony.stream import SHUTDOWN_NOTICE

log = logging.getLogger("switchboard.listener")

_BATCH = 1000  # events applied per Redis round trip at most

# Renew the lease only if we still hold it (a standby may have taken it over meanwhile).
@dataclass(frozen=True)
class ListenerConfig:
    """Everything the listener needs, as plain values (built from settings by `listen`)."""

    prefix: str
    drop: TcpDropFormat = field(default_factory=TcpDropFormat)
    grace_seconds: float = 45.0
    reconcile_seconds: float = 60.0
    owner_lease_seconds: float = 10.0
    agent_sync_seconds: float = 5.0
    connect_timeout: float = 3.0
    command_timeout: float = 5.0
    events_maxlen: int = 200_000
    backoff_max: float = 15.0
    # After a restart, flush_inbound_reg each stale TCP/TLS row once (off by default).
    flush_stale_after_restart: bool = False
    # A SIP proxy's feed has no heartbeat: ask its JSON-RPC this often (liveness, restarts).
    proxy_ping_seconds: float = 2.0


class NodeFeed(threading.Thread):
    """One node's event stream: (re)connect with the client's backoff, reconcile, pump."""

    def __init__(self, node: NodeConfig, listener: Listener) -> None:
        super().__init__(name=f"listener-{node.name}", daemon=True)
        self.node = node
        self.listener = listener
        self.config = listener.config
        self.store = listener.store
        self.owned = threading.Event()
        self.retired = threading.Event()
        self.connected = False
        self.core = ""
        self.last_activity = time.time()
        self.lost_declared = False
        self.kick = threading.Event()
        self._stream: EventStream | None = None
        self._channel_names = frozenset(SUBSCRIBED_EVENTS) - {"HEARTBEAT"}
        self._profile = validate_sip_profile(node.sip_profile)

    # -- lifecycle --------------------------------------------------------------------------

    def run(self) -> None:
        """Pump the node's events while this listener owns it."""
        stop = self.listener.stopping
        while not stop.is_set() and not self.retired.is_set():
            if not self.owned.wait(0.5):
                continue
            stream = EventStream(
                self.node, SUBSCRIBED_EVENTS,
                [*presence_subclasses(self.config.drop), *MEDIA_SUBCLASSES],
                on_connect=self._on_connect, on_disconnect=self._on_disconnect,
                timeout=self.config.command_timeout, connect_timeout=self.config.connect_timeout,
                backoff=Backoff(maximum=self.config.backoff_max))
            self._stream = stream
            try:
                self._pump(stream)
            except redis.RedisError as exc:
                log.warning("node %s: redis failed, reconnecting: %s", self.node.name, exc)
                stop.wait(1.0)
            except Exception:
                # A bug on one event must not end the thread: upkeep would go on renewing the
                # lease for a node nobody pumps, and no standby could take it over.
                log.exception("node %s: feed failed, reconnecting", self.node.name)
                stop.wait(1.0)
            finally:
                stream.close()
                self._stream = None
                if self.connected:
                    self._on_disconnect("stopping" if stop.is_set() else "lease released")

    def close(self) -> None:
        """Drop the connection now (stop, retire, or lease lost)."""
        stream = self._stream
        if stream is not None:
            stream.close()

    # -- connect and reconcile --------------------------------------------------------------

    def _on_connect(self, conn: ESLConnection, info: ConnectInfo) -> None:
        """After every (re)connect: record the Core-UUID, announce, replace the registrations."""
        core = info.core_uuid or ""
        now = time.time()
        # What Redis held, not what this process saw: the listener itself may be new.
        previous = self.store.node_status(self.node.name).core
        self.store.node_connected(self.node.name, core, now)
        self.core = core
        restarted = bool(previous) and previous != core
        self.listener.announce(self.node.name, "NODE_CONNECTED", core,
                               {"restarted": restarted, "previous": previous})
        self._reconcile(conn)
        self.connected = True
        self.last_activity = time.time()
        self.store.node_seen(self.node.name, self.last_activity, self.config.grace_seconds)
        self.lost_declared = False
        log.info("node %s (%s:%s) connected, core %s%s", self.node.name, self.node.host,
                 self.node.port, core, " (restarted)" if restarted else "")

    def _on_disconnect(self, reason: str) -> None:
        self.connected = False
        self.last_activity = time.time()
        log.info("node %s (%s:%s) disconnected: %s", self.node.name, self.node.host,
                 self.node.port, reason)
        notice = SHUTDOWN_NOTICE.rstrip(".") in reason
        if (notice or reason == "EOF") and self.core:
            # The run ended while we followed it: the next run's reconcile may trust Call-IDs
            # we never held (only a REGISTER to the new process can have made them).
            self.store.node_ended(self.node.name, self.core)
        if notice:
            # The node announced its shutdown: it is gone now, not after the grace period.
            self.listener.declare_lost(self, "shutdown notice")

    def _reconcile(self, conn: ESLConnection) -> None:
        """The node's own registration list replaces what Redis holds for it."""
        text = conn.api(f"sofia xmlstatus profile {self._profile} reg")
        now = time.time()
        rows = parse_xmlstatus(text, self._profile, now)
        added, removed = self.store.reconcile(self.node.name, self.core, rows, now)
        if added or removed:
            log.info("node %s reconciled: %d listed, %d added, %d removed", self.node.name,
                     len(rows), added, removed)
        if self.config.flush_stale_after_restart:
            self._flush_stale(conn)

    def _flush_stale(self, conn: ESLConnection) -> None:
        """Once per restart: ask the node to expire the rows whose connection died with it.

        Only the stale ones (listed from the previous run, not registered again): a bare
        `flush_inbound_reg` would also expire the phones that already re-registered.
        FreeSWITCH answers each with one sofia::expire (capture 32c), which removes the row.
        """
        name = self.node.name
        if self.store.node_status(name).figures.get("restart_core") != self.core:
            return
        if not self.store.claim_restart_flush(name, self.core):
            return
        for call_id in self.store.stale_registrations(name):
            if not safe_call_id(call_id):
                log.warning("node %s: not flushing a registration with an unusual Call-ID",
                            name)
                continue
            reply = conn.api(f"sofia profile {self._profile} flush_inbound_reg {call_id}")
            log.info("node %s: flushed a registration from before the restart: %s", name,
                     reply.strip()[:80])

    # -- the event pump ---------------------------------------------------------------------

    def _pump(self, stream: EventStream) -> None:
        stop = self.listener.stopping
        next_reconcile = time.time() + self.config.reconcile_seconds
        while not stop.is_set() and self.owned.is_set() and not self.retired.is_set():
            if self.kick.is_set():
                # Silent past the grace period: drop the socket; the stream reconnects and
                # on_connect reconciles.
                self.kick.clear()
                conn = stream.conn
                if conn is not None:
                    conn.close()
            first = stream.next_event(0.5)
            if first is not None:
                batch = [first]
                while len(batch) < _BATCH:
                    more = stream.next_event(0)
                    if more is None:
                        break
                    batch.append(more)
                self._handle(stream, batch)
            conn = stream.conn
            if conn is not None and time.time() >= next_reconcile:
                try:
                    self._reconcile(conn)
                except (ESLError, RegistrationListError) as exc:
                    log.warning("node %s: reconcile failed: %s", self.node.name, exc)
                next_reconcile = time.time() + self.config.reconcile_seconds

    def _handle(self, stream: EventStream, batch: Sequence[Event]) -> None:
        """Apply one burst: presence to the store, channel events to the stream."""
        now = time.time()
        name = self.node.name
        client = self.store.client
        pipe = client.pipeline(transaction=False)
        for event in batch:
            core = event.core_uuid or ""
            if core and core != self.core:
                # A new Core-UUID mid-stream: the node restarted under us. Flush what is
                # queued (it belongs to the old run), then invalidate and reconcile.
                pipe.execute()
                previous, self.core = self.core, core
                self.store.node_connected(name, core, now)
                self.listener.announce(name, "NODE_CONNECTED", core,
                                       {"restarted": True, "previous": previous})
                self._reconcile_now(stream)
            if event.name in self._channel_names or (
                    event.name == "CUSTOM" and event.subclass in MEDIA_SUBCLASSES):
                # The XADD and the node's last-appended id in one script (telephony.eventlog):
                # reconcile waits while the consumer has not caught up with this node.
                self.listener.event_log.append(
                    name, stream_fields(name, event, event.headers, event.body),
                    self.config.events_maxlen, client=pipe)
                continue
            found = normalise(event, self.config.drop, now)
            if found is None:
                continue
            if isinstance(found, Heartbeat):
                pipe.execute()
                if self.store.node_heartbeat(name, found, now):
                    self._reconcile_now(stream)
                continue
            self.store.apply(name, found, now, client=pipe)
        self.store.node_seen(name, now, self.config.grace_seconds, client=pipe)
        pipe.execute()
        self.last_activity = now

    def _reconcile_now(self, stream: EventStream) -> None:
        """Reconcile after a mid-stream restart; if that fails, reconnecting will do it."""
        conn = stream.conn
        try:
            if conn is None:
                raise ESLError("not connected")
            self._reconcile(conn)
        except (ESLError, RegistrationListError) as exc:
            log.warning("node %s: reconcile after restart failed (%s); reconnecting",
                        self.node.name, exc)
            if conn is not None:
                conn.close()


class Listener:
    """All node feeds of this process, their leases, and the upkeep loop."""

    def __init__(
        self,
        client: redis.Redis,
        config: ListenerConfig,
        nodes: Callable[[], Sequence[NodeConfig]],
        sync_agents: Callable[[], object] | None = None,
        proxies: Callable[[], Sequence[ProxyConfig]] | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.nodes = nodes
        # SIP proxies (Kamailio) feed presence over evapi: telephony.proxy_feed.ProxyFeed.
        self.proxies = proxies
        self.sync_agents = sync_agents
        self.store = PresenceStore(client, config.prefix)
        self.events_key = f"{config.prefix}:events"
        self.event_log = EventLog(client, config.prefix)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.feeds: dict[str, Any] = {}  # NodeFeed or ProxyFeed, by node/proxy name
        self._leases: dict[str, Lock] = {}

    # -- signals ----------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT set the stop flag; the loops drain and exit."""
        def handler(signum: int, _frame: Any) -> None:
            log.info("signal %d: stopping", signum)
            self.stopping.set()
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # -- the stream and node announcements --------------------------------------------------

    def announce(self, node: str, name: str, core: str, data: dict[str, Any]) -> None:
        """NODE_CONNECTED / NODE_LOST on the events stream, for the results side to reconcile."""
        self.client.xadd(self.events_key, {
            "node": node, "core": core, "seq": "0", "name": name,
            "data": json.dumps({**data, "at": time.time()}),
        }, maxlen=self.config.events_maxlen, approximate=True)

    def declare_lost(self, feed: Any, reason: str) -> None:
        """Stop trusting a node's registrations, once per outage."""
        if feed.lost_declared:
            return
        feed.lost_declared = True
        if self.store.node_lost(feed.node.name, time.time(), reason):
            if isinstance(feed, NodeFeed):  # a proxy carries no calls to reconcile
                self.announce(feed.node.name, "NODE_LOST", feed.core, {"reason": reason})
            log.warning("node %s lost: %s", feed.node.name, reason)

    # -- leases -----------------------------------------------------------------------------

    def _lease(self, node: str) -> Lock:
        """The node's ownership lease: a Redis lock whose value names this listener."""
        lease = self._leases.get(node)
        if lease is None:
            # The token is our owner name (the dashboard shows it); one thread runs the upkeep
            # and another may shut down, so the token is not thread-local.
            lease = self._leases[node] = self.client.lock(
                f"{self.config.prefix}:listener:owner:{node}",
                timeout=self.config.owner_lease_seconds,
                blocking=False,
                thread_local=False,
            )
        return lease

    def _hold(self, node: str) -> bool:
        """Take or renew this node's ownership lease; False while another listener holds it."""
        lease = self._lease(node)
        if lease.acquire(token=self.owner):
            return True
        try:
            return lease.reacquire()  # ours still: extend it
        except LockError:  # never ours, or lapsed and taken by another listener
            return False

    def _release(self, node: str) -> None:
        """Give the lease up at once if we hold it (else it lapses on its own)."""
        lease = self._leases.pop(node, None)
        if lease is not None:
            with contextlib.suppress(LockError):
                lease.release()

    # -- upkeep -----------------------------------------------------------------------------

    def _refresh_feeds(self) -> None:
        """Start a feed for each configured node and proxy; retire feeds for removed ones."""
        from telephony.proxy_feed import ProxyFeed

        wanted: dict[str, Any] = {node.name: node for node in self.nodes()}
        for proxy in self.proxies() if self.proxies is not None else ():
            if proxy.name in wanted:
                log.error("proxy %s has the name of a node: ignored", proxy.name)
                continue
            wanted[proxy.name] = proxy
        for name, node in wanted.items():
            feed = self.feeds.get(name)
            if feed is not None and (feed.node.host, feed.node.port, type(feed.node)) != (
                    node.host, node.port, type(node)):
                self._retire(feed)
                feed = None
            if feed is None:
                feed = NodeFeed(node, self) if isinstance(node, NodeConfig) else ProxyFeed(
                    node, self, ping_seconds=self.config.proxy_ping_seconds)
                self.feeds[name] = feed
                feed.start()
        for name in set(self.feeds) - set(wanted):
            self._retire(self.feeds.pop(name))

    def _retire(self, feed: Any) -> None:
        feed.retired.set()
        feed.owned.clear()
        feed.close()
        self._release(feed.node.name)

    def upkeep(self, now: float) -> None:
        """One pass: leases, grace checks, the expiry sweep."""
        for feed in list(self.feeds.values()):
            if self._hold(feed.node.name):
                if not feed.owned.is_set():
                    log.info("this listener owns node %s", feed.node.name)
                    feed.last_activity = now
                    feed.owned.set()
                silent = now - feed.last_activity
                if silent > self.config.grace_seconds:
                    self.declare_lost(feed, "connection down past grace" if not feed.connected
                                      else "no events or heartbeats past grace")
                    if feed.connected:
                        feed.kick.set()  # a silent socket is reconnected, then reconciled
            elif feed.owned.is_set():
                log.warning("lease on node %s taken by another listener", feed.node.name)
                feed.owned.clear()
                feed.close()
        self.store.sweep_expired(now)

    def run(self) -> None:
        """Run until the stop flag is set, then drain."""
        last_sync = 0.0
        log.info("listener %s starting", self.owner)
        try:
            while not self.stopping.is_set():
                now = time.time()
                try:
                    if now - last_sync >= self.config.agent_sync_seconds:
                        last_sync = now
                        self._refresh_feeds()
                        if self.sync_agents is not None:
                            self.sync_agents()
                    self.upkeep(now)
                except redis.RedisError as exc:
                    log.warning("upkeep failed (will retry): %s", exc)
                except Exception:
                    log.exception("upkeep failed (will retry)")
                self.stopping.wait(0.25)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Close every connection, join the threads, free the leases."""
        self.stopping.set()
        for feed in self.feeds.values():
            feed.owned.clear()
            feed.close()
        for feed in self.feeds.values():
            feed.join(timeout=5)
        for name in self.feeds:
            with contextlib.suppress(redis.RedisError):  # the lease lapses on its own
                self._release(name)
        log.info("listener %s stopped", self.owner)
