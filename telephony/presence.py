"""The presence store in Redis: registrations, intent, activity, node status and reservations.

Every write is one Lua script (`telephony.presence_lua`), so each input is atomic and O(1) in
the number of agents, and every change lands on the `<prefix>:presence:changes` stream.
Time is always passed in (`now`, epoch seconds): nothing here reads the clock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import redis

from telephony import presence_lua as lua
from telephony.events import (
    Heartbeat,
    PresenceEvent,
    ReachabilityChanged,
    Registered,
    Registration,
    TransportDropped,
    Unregistered,
)
from telephony.presence_views import (  # re-exported: callers import them from here
    AgentPresence,
    NodeStatus,
    RegistrationView,
    Reservation,
)

Intent = Literal["available", "paused", "logged_out"]
Activity = Literal["idle", "reserved", "ringing", "on_call", "wrapup"]
INTENTS: tuple[str, ...] = ("available", "paused", "logged_out")
MARKABLE: tuple[str, ...] = ("reserved", "ringing", "on_call")


class UnknownAgent(LookupError):
    """The agent is not in the presence store (sync_agents has not seen it)."""


def _s(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _f(value: Any) -> float | None:
    text = _s(value)
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _i(value: Any) -> int | None:
    number = _f(value)
    return int(number) if number is not None else None


def _num(value: float) -> str:
    return repr(float(value))


class PresenceStore:
    """Presence in Redis under `<prefix>:presence:*`; every method takes `now` explicitly."""

    def __init__(self, client: redis.Redis, prefix: str, proxies: Sequence[str] = ()) -> None:
        self.client = client
        self.prefix = prefix
        # SIP proxies (Kamailio) whose registrations reach the agent from every node.
        self.proxies = tuple(proxies)
        self.base = f"{prefix}:presence"
        self.changes_key = f"{self.base}:changes"
        scripts = {
            name.upper(): client.register_script(lua.source(name)) for name in lua.SCRIPTS
        }
        self._scripts = scripts

    def _run(self, name: str, args: Sequence[Any], client: Any = None) -> Any:
        return self._scripts[name](keys=[], args=[self.prefix, *args], client=client or self.client)

    # -- registrations ------------------------------------------------------------------

    def apply(self, node: str, event: PresenceEvent, now: float, client: Any = None) -> Any:
        """Apply one presence event from a node (pass a pipeline as client to batch)."""
        if isinstance(event, Registered):
            reg = event.registration
            return self._run("REGISTER", [
                node, event.core, event.seq, _num(now), reg.agent, reg.call_id, reg.profile,
                reg.contact, reg.network_ip, reg.network_port, reg.transport, reg.user_agent,
                _num(reg.expires_at)], client)
        if isinstance(event, Unregistered):
            return self._run("REMOVE", [node, event.core, event.seq, _num(now), event.call_id,
                                        event.kind], client)
        if isinstance(event, ReachabilityChanged):
            return self._run("REACHABILITY", [node, event.core, event.seq, _num(now),
                                              event.call_id, "0" if event.reachable else "1"],
                             client)
        if isinstance(event, TransportDropped):
            return self._run("DROP_ADDRESS", [node, event.core, event.seq, _num(now),
                                              event.network_ip, event.network_port,
                                              "transport_drop"], client)
        raise TypeError(f"not a presence event: {type(event).__name__}")

    def apply_many(self, node: str, events: Iterable[PresenceEvent], now: float) -> int:
        """Apply a burst of events in one round trip, in order; return how many changed state."""
        pipe = self.client.pipeline(transaction=False)
        count = 0
        for event in events:
            self.apply(node, event, now, client=pipe)
            count += 1
        if not count:
            return 0
        return sum(1 for result in pipe.execute() if result)

    def reconcile(self, node: str, core: str, rows: Sequence[Registration], now: float
                  ) -> tuple[int, int]:
        """Replace what is held for `node` by its own list; return (added, removed).

        A listed row whose expiry is already past is skipped: FreeSWITCH lists a registration
        for a moment after sofia::expire. The node is `up` (trusted) once this returns.
        """
        args: list[Any] = [node, core, _num(now), len(rows)]
        for r in rows:
            args += [r.call_id, r.agent, r.profile, r.contact, r.network_ip, r.network_port,
                     r.transport, r.user_agent, _num(r.expires_at), "1" if r.unreachable else "0"]
        added, removed = self._run("RECONCILE", args)
        return int(added), int(removed)

    def stale_registrations(self, node: str) -> list[str]:
        """Call-IDs held for `node` that were listed after its restart and not registered since."""
        ids = sorted(_s(c) for c in self.client.smembers(f"{self.base}:noderegs:{node}"))
        pipe = self.client.pipeline(transaction=False)
        for call_id in ids:
            pipe.hget(f"{self.base}:reg:{node}:{call_id}", "stale")
        return [c for c, flag in zip(ids, pipe.execute(), strict=True) if _s(flag) == "1"]

    def claim_restart_flush(self, node: str, core: str) -> bool:
        """True once per (node, Core-UUID), for every listener: who flushes after a restart."""
        key = f"{self.base}:flushed:{node}:{core}"
        return bool(self.client.set(key, "1", nx=True, ex=7 * 86400))

    def sweep_expired(self, now: float, limit: int = 1000) -> int:
        """Remove registrations whose expiry has passed, even if no event said so."""
        return int(self._run("SWEEP_EXPIRED", [_num(now), limit]))

    # -- nodes --------------------------------------------------------------------------

    def node_connected(self, node: str, core: str, now: float) -> bool:
        """Record a (re)connect; True when the Core-UUID changed (the node restarted)."""
        return bool(self._run("NODE_CONNECTED", [node, core, _num(now)]))

    def node_heartbeat(self, node: str, beat: Heartbeat, now: float) -> bool:
        """Store HEARTBEAT figures; True when it reveals a new Core-UUID."""
        pairs: list[str] = []
        for key, value in beat.figures.items():
            pairs += [key, value]
        return bool(self._run("HEARTBEAT", [node, beat.core, _num(now), *pairs]))

    def node_seen(self, node: str, now: float, trust_seconds: float, client: Any = None) -> None:
        """Note that the node is alive (any event counts) and vouch for it `trust_seconds` more.

        Only the listener calls this. Once it stops (no listener alive), the node's agents stop
        being routable when `trusted_until` passes: unknown means offline.
        """
        (client or self.client).hset(f"{self.base}:node:{node}", mapping={
            "last_seen": _num(now), "trusted_until": _num(now + trust_seconds)})

    def node_ended(self, node: str, core: str) -> bool:
        """The event connection to `node` ended as a run ends (a shutdown notice, or EOF);
        True when we were reconciled with `core`: we followed that run to its end, so after a
        restart a Call-ID we never held cannot be a row the old process kept."""
        return bool(self._run("NODE_ENDED", [node, core]))

    def node_lost(self, node: str, now: float, reason: str) -> bool:
        """Stop trusting the node's registrations; True if it was not lost already."""
        return bool(self._run("NODE_LOST", [node, _num(now), reason]))

    def node_status(self, name: str) -> NodeStatus:
        """The node's state and last HEARTBEAT figures; `unknown` when never seen."""
        raw = self.client.hgetall(f"{self.base}:node:{name}")
        return self._node_status(name, {_s(k): _s(v) for k, v in raw.items()})

    def node_statuses(self) -> dict[str, NodeStatus]:
        """Every node the listener has reported on."""
        names = sorted(_s(n) for n in self.client.smembers(f"{self.base}:nodes"))
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(f"{self.base}:node:{name}")
        return {
            name: self._node_status(name, {_s(k): _s(v) for k, v in raw.items()})
            for name, raw in zip(names, pipe.execute(), strict=True)
        }

    @staticmethod
    def _node_status(name: str, h: dict[str, str]) -> NodeStatus:
        return NodeStatus(
            name=name,
            state=h.get("state") or "unknown",
            core=h.get("core", ""),
            connected=h.get("connected") == "1",
            last_seen=_f(h.get("last_seen")),
            last_heartbeat=_f(h.get("last_heartbeat")),
            session_count=_i(h.get("session_count")),
            max_sessions=_i(h.get("max_sessions")),
            session_per_sec=_i(h.get("session_per_sec")),
            session_per_sec_last=_i(h.get("session_per_sec_last")),
            idle_cpu=_f(h.get("idle_cpu")),
            lost_reason=h.get("lost_reason", ""),
            trusted_until=_f(h.get("trusted_until")),
            figures=h,
        )

    # -- agents -------------------------------------------------------------------------

    def sync_agents(
        self,
        groups: Mapping[str, Sequence[tuple[str, int, bool]]],
        now: float,
        default_intent: Intent = "available",
    ) -> int:
        """Make group membership, wrap-up and enabled flags match the database.

        `groups` maps a group name to (agent, wrapup_seconds, enabled) rows. Agents missing
        from it are disabled. A new agent starts idle with `default_intent`.
        """
        per_agent: dict[str, tuple[list[str], int, bool]] = {}
        for group, rows in groups.items():
            if "," in group:
                raise ValueError(f"group name {group!r} may not contain a comma")
            for agent, wrapup, enabled in rows:
                names, _, was_enabled = per_agent.get(agent, ([], 0, False))
                per_agent[agent] = ([*names, group], int(wrapup), was_enabled or enabled)
        args: list[Any] = [_num(now), default_intent, len(per_agent)]
        for agent, (names, wrapup, enabled) in sorted(per_agent.items()):
            args += [agent, ",".join(sorted(names)), wrapup, "1" if enabled else "0"]
        return int(self._run("SYNC_AGENTS", args))

    def set_intent(self, agent: str, intent: Intent, reason: str, actor: str, now: float) -> bool:
        """Set available / paused (with a reason) / logged out; True when it changed."""
        if intent not in INTENTS:
            raise ValueError(f"intent must be one of {', '.join(INTENTS)}")
        result = int(self._run("SET_INTENT", [agent, intent, reason, actor, _num(now)]))
        if result < 0:
            raise UnknownAgent(agent)
        return bool(result)

    def may_free_up(self, group: str, node: str, now: float, until: float,
                    exclude: Sequence[str] = ()) -> bool:
        """Could an agent of `group` be reserved on `node` before `until`? One that is enabled,
        available and registered there (trusted, reachable) and idle, on a call (it may end at
        any moment) or in a wrap-up or penalty delay ending by then. False means no waiting
        helps: nobody logged in, everyone paused, unreachable or misconfigured. Agents in
        `exclude` (those who already refused or missed this call) do not count."""
        members = [_s(a) for a in self.client.zrange(f"{self.base}:ready:{group}", 0, -1)]
        members = [a for a in members if a not in set(exclude)]
        for view in self.snapshot(members, now).values():
            if not (view.known and view.enabled and view.intent == "available"):
                continue
            if not any(r.node in (node, *self.proxies) and r.trusted and not r.unreachable
                       for r in view.registrations):
                continue
            if view.activity == "wrapup" and (view.activity_until or 0.0) > until:
                continue
            return True
        return False

    def snapshot(self, agents: Iterable[str], now: float) -> dict[str, AgentPresence]:
        """Every axis of each agent, computed as of `now` (unknown agents are offline)."""
        names = list(dict.fromkeys(agents))
        pipe = self.client.pipeline(transaction=False)
        for agent in names:
            pipe.hgetall(f"{self.base}:agent:{agent}")
            pipe.smembers(f"{self.base}:agentregs:{agent}")
        results = pipe.execute()
        reg_ids: list[tuple[str, str, str]] = []
        for index, agent in enumerate(names):
            for raw in results[2 * index + 1]:
                node, _, call_id = _s(raw).partition("|")
                reg_ids.append((agent, node, call_id))
        nodes = {node for _, node, _ in reg_ids}
        pipe = self.client.pipeline(transaction=False)
        for _, node, call_id in reg_ids:
            pipe.hgetall(f"{self.base}:reg:{node}:{call_id}")
        for node in sorted(nodes):
            pipe.hmget(f"{self.base}:node:{node}", "state", "core", "trusted_until")
        fetched = pipe.execute()
        node_info = {node: (_s(v[0]), _s(v[1]), _f(v[2]))
                     for node, v in zip(sorted(nodes), fetched[len(reg_ids):], strict=True)}
        regs: dict[str, list[RegistrationView]] = {agent: [] for agent in names}
        for (agent, node, call_id), raw in zip(reg_ids, fetched[: len(reg_ids)], strict=True):
            h = {_s(k): _s(v) for k, v in raw.items()}
            if not h:
                continue
            state, core, trusted_until = node_info[node]
            node_ok = state == "up" and (trusted_until is None or trusted_until > now)
            expires = _f(h.get("expires")) or 0.0
            stale = h.get("stale") == "1"
            regs[agent].append(RegistrationView(
                node=node, call_id=call_id, contact=h.get("contact", ""),
                transport=h.get("transport", ""),
                network=f"{h.get('ip', '')}:{h.get('port', '')}",
                user_agent=h.get("user_agent", ""), expires_at=expires,
                unreachable=h.get("unreachable") == "1",
                trusted=node_ok and core == h.get("core") and expires > now and not stale,
                stale=stale,
            ))
        out: dict[str, AgentPresence] = {}
        for index, agent in enumerate(names):
            h = {_s(k): _s(v) for k, v in results[2 * index].items()}
            activity, until = self._effective_activity(h, now)
            out[agent] = AgentPresence(
                agent=agent,
                known=bool(h),
                enabled=h.get("enabled") == "1",
                # "~" groups are the product's groups of one (callbacks), not the agent's teams.
                groups=tuple(g for g in h.get("groups", "").split(",")
                             if g and not g.startswith("~")),
                intent=h.get("intent") or "logged_out",
                reason=h.get("reason", ""),
                activity=activity,
                activity_until=until,
                registrations=tuple(sorted(regs[agent], key=lambda r: (r.node, r.call_id))),
                intent_at=_f(h.get("intent_at")),
                activity_at=self._activity_since(h, activity),
            )
        return out

    @staticmethod
    def _activity_since(h: Mapping[str, str], activity: str) -> float | None:
        """When the effective activity began: a lapsed lease or wrap-up ended at its time."""
        if activity == (h.get("activity") or "idle"):
            return _f(h.get("activity_at"))
        if h.get("activity") == "wrapup":
            return _f(h.get("wrapup_until"))
        return _f(h.get("lease_until"))

    @staticmethod
    def _effective_activity(h: Mapping[str, str], now: float) -> tuple[str, float | None]:
        activity = h.get("activity") or "idle"
        if activity in MARKABLE:
            until = _f(h.get("lease_until")) or 0.0
            return (activity, until) if until > now else ("idle", None)
        if activity == "wrapup":
            until = _f(h.get("wrapup_until")) or 0.0
            return ("wrapup", until) if until > now else ("idle", None)
        return activity, None

    # -- reservations -------------------------------------------------------------------

    def reserve(self, group: str, usable_nodes: Sequence[str], now: float,
                lease_seconds: float, exclude: Sequence[str] = ()) -> Reservation | None:
        """Atomically take the longest-idle routable agent of `group` on one of `usable_nodes`.

        `usable_nodes` are those that are up and have capacity, in order of preference. The
        agent stays reserved until release() or until the lease lapses. An agent registered
        with one of `self.proxies` is reachable from any node: it is reserved on the first
        usable node, with `via` naming the proxy. Agents in `exclude` (presence keys: those who
        refused or missed this call) are never taken.
        """
        if not usable_nodes:
            return None
        result = self._run("RESERVE", [group, _num(now), _num(lease_seconds), uuid.uuid4().hex,
                                       len(usable_nodes), *usable_nodes,
                                       len(self.proxies), *self.proxies, *exclude])
        if not result:
            return None
        agent, node, token, via = (_s(v) for v in result)
        return Reservation(agent, node, token, via)

    def mark(self, token: str, activity: Activity, now: float, lease_seconds: float,
             client: Any = None) -> bool:
        """Move a held agent to reserved/ringing/on_call and renew its lease; False if not held.

        With a pipeline as client the script is only queued (the result is the pipeline's)."""
        if activity not in MARKABLE:
            raise ValueError(f"activity must be one of {', '.join(MARKABLE)}")
        return bool(self._run("MARK", [token, activity, _num(now), _num(lease_seconds)], client))

    def hold(self, agent: str, token: str, activity: Activity, node: str, now: float,
             lease_seconds: float) -> bool:
        """Hold `agent` for a call found live after Redis lost its data (reconcile), under
        `token` (`<nonce>:<agent>`); False when another call holds the agent. Idempotent."""
        if activity not in MARKABLE:
            raise ValueError(f"activity must be one of {', '.join(MARKABLE)}")
        if token.partition(":")[2] != agent:
            raise ValueError("a hold token is <nonce>:<agent>")
        return bool(self._run("HOLD", [agent, token, activity, _num(now), _num(lease_seconds),
                                       node]))

    def release(self, token: str, now: float, wrapup_seconds: float | None = None) -> bool:
        """End the call: wrap-up (the agent's own length unless given), then idle."""
        wrapup = "" if wrapup_seconds is None else _num(wrapup_seconds)
        return bool(self._run("RELEASE", [token, _num(now), wrapup, "", ""]))

    def release_agent_unregistered(self, token: str, node: str, now: float) -> bool:
        """The call failed USER_NOT_REGISTERED: drop the agent's registrations on `node` now."""
        return bool(self._run("RELEASE", [token, _num(now), "", node, "not_registered"]))

    def release_agent_unreachable(self, token: str, node: str, now: float,
                                  wrapup_seconds: float | None = None) -> bool:
        """The agent's contact on `node` is dead (503): release, and keep its rows there marked
        unreachable (the node still lists them) until a newer REGISTER or an OPTIONS answer."""
        wrapup = "" if wrapup_seconds is None else _num(wrapup_seconds)
        return bool(self._run("RELEASE", [token, _num(now), wrapup, node, "unreachable"]))

    def reserve_unguarded(self, group: str, usable_nodes: Sequence[str], now: float,
                          lease_seconds: float, race_window: float = 0.0) -> Reservation | None:
        """TEST ONLY: the same choice made by read-then-write, with no atomic guard.

        It exists so a concurrency test can show that the race the Lua script closes is real.
        """
        ready = self.client.zrangebyscore(f"{self.base}:ready:{group}", "-inf", now)
        candidates = [_s(a) for a in ready]
        views = self.snapshot(candidates, now)
        for agent in candidates:
            view = views[agent]
            nodes = [r.node for r in view.registrations if r.trusted and not r.unreachable
                     and r.node in usable_nodes]
            if view.routable and nodes:
                time.sleep(race_window)  # the window between read and write a real caller has
                token = f"{uuid.uuid4().hex}:{agent}"
                until = now + lease_seconds
                pipe = self.client.pipeline(transaction=False)
                pipe.hset(f"{self.base}:agent:{agent}", mapping={
                    "activity": "reserved", "token": token, "lease_until": _num(until),
                    "node": nodes[0], "ready_at": _num(until)})
                for group_name in view.groups:
                    pipe.zadd(f"{self.base}:ready:{group_name}", {agent: until})
                pipe.execute()
                return Reservation(agent, nodes[0], token)
        return None
