"""The results consumer: reads the listener's event stream and stores outcomes (`consume_events`).

One long-running process (STYLE rule 16) in the consumer group `results` of `{prefix}:events`:

1. On start, re-read this consumer's own pending entries (delivered before a crash, never
   acknowledged), then claim entries another consumer left pending too long (XAUTOCLAIM).
2. Read new entries in blocks; apply each in one database transaction; XACK only after the
   commit, so a crash between the two replays the entry instead of losing it.
3. Dedupe by (Core-UUID, Event-Sequence) against the node's high-water mark
   (telephony.eventlog: one small hash per node, moved after the commit together with the XACK).
   Events carry no Event-UUID, and a listener failover may append an event twice. The writes
   themselves are idempotent as well, so a replay that slips past the mark changes nothing. The
   mark also holds the node's last finished stream id: reconcile compares it with the node's last
   appended id and settles nothing on a node whose events are still on the way.
4. NODE_CONNECTED and NODE_LOST ask for a reconcile of that node (a Celery task, so the consumer
   never holds ESL connections and never blocks on a node). The periodic reconcile (beat) ends
   what is overdue after that.

Ordering matters (leg B ends before leg A in agent_first), so entries are applied in stream order
by one consumer; a standby in the same group takes over pending entries when it lapses.
A failing entry is retried in place with backoff, before any later entry (the same call's later
events must not overtake it), and after a few tries acknowledged and logged (a poison entry must
not stall every call behind it).

5. Redis going away never ends the process: any Redis error (a restart, a failover, a flush that
   deleted the stream and its group: NOGROUP) is logged, waited out with capped exponential
   backoff and jitter, and followed by `ensure_group` (which recreates the stream and the group,
   at id 0 so that what the listener appended meanwhile is read) and a re-read of this
   consumer's own pending entries. A heartbeat key (`{prefix}:consumers:<name>`, 30 s TTL) says
   the group has a live reader (`/healthz`, the dashboard).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import redis
from django.db import close_old_connections

from campaigns.services.call_path.results import Results, StreamEvent, decode
from telephony.eventlog import EventLog

log = logging.getLogger(__name__)

GROUP = "results"
CLAIM_IDLE_MS = 30_000
MAX_TRIES = 5
BACKOFF_FIRST_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 5.0
HEARTBEAT_TTL_SECONDS = 30
HEARTBEAT_EVERY_SECONDS = 5.0


class Consumer:
    """Apply stream entries to the database, acknowledge after commit."""

    def __init__(self, redis_client: Any, prefix: str, results: Results, *,
                 name: str | None = None, block_ms: int = 500, batch: int = 200,
                 on_node_connected: Callable[[str], None] | None = None) -> None:
        self.redis = redis_client
        self.prefix = prefix
        self.stream = f"{prefix}:events"
        self.results = results
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.block_ms = block_ms
        self.batch = batch
        self.on_node_connected = on_node_connected
        self.stopping = False
        self.applied = 0
        self.reconnects = 0
        self.event_log = EventLog(redis_client, prefix)
        self._beat_at = 0.0

    def ensure_group(self) -> None:
        """Create the consumer group at the start of the stream (the stream too) if missing."""
        try:
            self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: it exists already
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self, *, install_signals: bool = True, idle_exit: Callable[[], bool] | None = None
            ) -> None:
        """Consume until SIGTERM/SIGINT (or `idle_exit()` says so while idle)."""
        if install_signals:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        failures = 0
        while not self.stopping:
            try:
                self._consume(idle_exit)
                break  # stopping, or idle_exit
            except redis.RedisError as exc:  # step 5: wait Redis out, then start over
                failures += 1
                self.reconnects += 1
                delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** min(failures, 8))
                delay *= random.uniform(0.5, 1.0)
                log.warning("results consumer %s: redis error %s (%s), retrying in %.1f s",
                            self.name, type(exc).__name__, _safe(exc), delay)
                self._sleep(delay)
        log.info("results consumer %s stopped after %d entries", self.name, self.applied)

    def _consume(self, idle_exit: Callable[[], bool] | None) -> None:
        self.ensure_group()
        self._heartbeat(force=True)
        self._drain("0")  # step 1: our own unacknowledged entries from before a restart
        last_claim = 0.0
        while not self.stopping:
            self._heartbeat()
            if time.monotonic() - last_claim > CLAIM_IDLE_MS / 1000:
                self._claim_abandoned()
                last_claim = time.monotonic()
            got = self._drain(">")
            if not got and idle_exit is not None and idle_exit():
                return

    def _heartbeat(self, *, force: bool = False) -> None:
        """Say this group has a live reader (read by /healthz and the dashboard)."""
        now = time.monotonic()
        if force or now - self._beat_at >= HEARTBEAT_EVERY_SECONDS:
            self.redis.set(f"{self.prefix}:consumers:{self.name}", int(time.time()),
                           ex=HEARTBEAT_TTL_SECONDS)
            self._beat_at = now

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def _stop(self, *_args: Any) -> None:
        self.stopping = True

    def _drain(self, start: str) -> int:
        """Read one block (">" new, "0" our pending) and apply it; return how many were read."""
        reply = self.redis.xreadgroup(
            GROUP, self.name, {self.stream: start}, count=self.batch,
            block=None if start == "0" else self.block_ms,
        )
        entries = reply[0][1] if reply else []
        # Once per block, not per entry: with CONN_MAX_AGE=0 this reconnects to PostgreSQL.
        close_old_connections()
        for entry_id, fields in entries:
            if fields:  # a pending entry trimmed from the stream comes back without fields
                self.handle(_text(entry_id), fields)
            else:
                self.redis.xack(self.stream, GROUP, entry_id)
        return len(entries)

    def _claim_abandoned(self) -> None:
        """Take over entries a dead consumer read but never acknowledged."""
        try:
            result = self.redis.xautoclaim(self.stream, GROUP, self.name, CLAIM_IDLE_MS,
                                           start_id="0-0", count=self.batch)
        except redis.ConnectionError:
            raise  # Redis is gone: the run loop waits it out
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                raise  # the stream or the group was deleted: recreated by the run loop
            log.exception("xautoclaim failed")
            return
        for entry_id, fields in result[1]:
            if fields:
                self.handle(_text(entry_id), fields)

    def handle(self, entry_id: str, fields: dict[Any, Any]) -> None:
        """Apply one entry unless its node's mark covers it; mark it and XACK after the commit.

        A failing entry is retried here, in place, before any later entry (the same call's
        later events must not overtake it); after MAX_TRIES it is logged and passed."""
        event = decode(fields)
        if event.name in ("NODE_CONNECTED", "NODE_LOST"):
            # Both ends of an outage: calls lost with the node are settled by the reconcile.
            if self.on_node_connected is not None:
                self.on_node_connected(event.node)
            self._done(entry_id, event, applied=False)
            return
        seq = int(event.seq) if event.seq.isdigit() else 0
        if event.node and self.event_log.applied(event.node).covers(event.core, seq):
            self._done(entry_id, event, applied=False)  # appended twice (listener failover)
            return
        tries = 0
        while True:
            try:
                self.results.apply(event, dt.datetime.now(tz=dt.UTC))
                break
            except redis.RedisError:
                close_old_connections()
                raise  # the entry stays pending; the run loop waits Redis out and re-reads it
            except Exception:
                tries += 1
                log.exception("applying %s %s failed (try %d)", event.name, entry_id, tries)
                close_old_connections()  # a broken connection must not fail every later entry
                if self.stopping:
                    return  # still pending: the next start re-reads it first, in order
                if tries >= MAX_TRIES:
                    log.error("giving up on %s %s after %d tries", event.name, entry_id, tries)
                    break
                time.sleep(min(0.1 * 2**tries, 2.0))  # back off, then the same entry again
        self._done(entry_id, event, applied=True)

    def _done(self, entry_id: str, event: StreamEvent, *, applied: bool) -> None:
        """Move the node's mark past the entry, then acknowledge it (one MULTI: a crash between
        the two would leave the node looking behind, or the entry pending for a replay)."""
        pipe = self.redis.pipeline(transaction=True)
        if event.node:
            seq = int(event.seq) if applied and event.seq.isdigit() else 0
            self.event_log.mark(event.node, entry_id, event.core if seq else "", seq,
                                client=pipe)
        pipe.xack(self.stream, GROUP, entry_id)
        pipe.execute()
        if applied:
            self.applied += 1


def _safe(exc: Exception) -> str:
    """An error's text without any URL (a redis:// URL can hold a password)."""
    text = str(exc)
    return "<redacted>" if "://" in text else text[:200]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
