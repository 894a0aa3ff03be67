"""Presence from a SIP proxy (Kamailio over evapi), applied with the same rules as a node's.

A proxy is a presence source beside the nodes: its registrations live in the same store under the
proxy's name, keyed by (proxy, ruid) (the `call_id` slot of a registration holds the ruid), with
the proxy's `boot` as the run id (a node's Core-UUID) and its `seq` as the event sequence. So
expiry, trust, reconcile and reservation treat them as they treat a node's. What differs:

* `unregister` carries no ruid: it is matched by AoR and SIP Call-ID (kept as `sip_call_id`);
* `lookup-miss` (the proxy found no usable contact for a call) makes the agent unregistered there
  at once;
* a new boot starts with an empty location table (memory only): a listed row after a restart is a
  phone that registered again, never a leftover, so none is marked stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telephony import presence_lua as lua
from telephony.evapi import DumpedContact, ProxyEvent, registration_of
from telephony.events import Registered, Unregistered
from telephony.presence import PresenceStore, _num


class ProxyPresence:
    """Apply a proxy's events and `ul.dump` to the presence store."""

    def __init__(self, store: PresenceStore) -> None:
        self.store = store
        self.client = store.client
        self._remove = self.client.register_script(lua.source("remove_agent"))

    def _reg_key(self, proxy: str, ruid: str) -> str:
        return f"{self.store.base}:reg:{proxy}:{ruid}"

    def apply(self, proxy: str, domain: str, event: ProxyEvent, now: float,
              client: Any = None) -> None:
        """Queue one event's change (pass a pipeline as client to batch)."""
        pipe = client or self.client
        kind = event.kind
        if kind in ("register", "refresh") and event.ruid and event.aor:
            reg = registration_of(event, domain, now)
            self.store.apply(proxy, Registered(event.boot, event.seq, reg), now, client=pipe)
            pipe.hset(self._reg_key(proxy, event.ruid), "sip_call_id", event.call_id)
        elif kind == "unregister" and event.aor and event.call_id:
            self._remove(keys=[], client=pipe, args=[
                self.store.prefix, proxy, event.boot, event.seq, _num(now),
                f"{event.aor}@{domain}", event.call_id, "unregister"])
        elif kind == "expire" and event.ruid and event.aor:
            self.store.apply(proxy, Unregistered(event.boot, event.seq,
                                                 f"{event.aor}@{domain}", event.ruid, "expire"),
                             now, client=pipe)
        elif (kind.startswith("tcp-") and event.action == "unregister" and event.ruid
              and event.aor):
            self.store.apply(proxy, Unregistered(event.boot, event.seq, f"{event.aor}@{domain}",
                                                 event.ruid, "socket_disconnect"),
                             now, client=pipe)
        elif kind == "lookup-miss" and event.aor:
            self._remove(keys=[], client=pipe, args=[
                self.store.prefix, proxy, event.boot, event.seq, _num(now),
                f"{event.aor}@{domain}", "", "not_registered"])

    def connected(self, proxy: str, boot: str, now: float) -> bool:
        """A (re)connect under `boot`: untrusted until `reconcile`; True when the boot changed."""
        changed = self.store.node_connected(proxy, boot, now)
        # Memory-only location table: nothing is left over from a previous run to mark stale.
        self.client.hdel(f"{self.store.base}:node:{proxy}", "restart_core")
        self.client.hset(f"{self.store.base}:node:{proxy}", mapping={"state": "syncing",
                                                                     "kind": "proxy"})
        return changed

    def reconcile(self, proxy: str, boot: str, contacts: Sequence[DumpedContact], now: float
                  ) -> tuple[int, int]:
        """`ul.dump` replaces what is held for the proxy; it is trusted afterwards."""
        added, removed = self.store.reconcile(proxy, boot, [c.registration for c in contacts],
                                              now)
        if contacts:
            pipe = self.client.pipeline(transaction=False)
            for c in contacts:
                pipe.hset(self._reg_key(proxy, c.registration.call_id), "sip_call_id",
                          c.sip_call_id)
            pipe.execute()
        return added, removed
