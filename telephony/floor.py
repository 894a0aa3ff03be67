"""Live calls in Redis: what the supervisor's floor shows, bounded by the calls in flight.

The dialer writes one hash per call (`<prefix>:live:call:<uuid>`) when it books the call, the
results side moves its state on answer, DTMF and bridge and deletes it when the call ends. A
sorted set of uuids by start time lists them and a hash maps each agent to its call, so the
floor reads a page of calls, or one call per agent, without ever scanning attempts in the
database. Every record carries a TTL: a call whose end we never saw leaves on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

CALL_TTL_SECONDS = 86_400
STATES: tuple[str, ...] = ("ringing", "answered", "sending_digits", "connected")
STATE_WORDS = {
    "ringing": "Ringing",
    "answered": "Answered",
    "sending_digits": "Sending digits",
    "connected": "Connected",
    # Listening to the line (telephony.listening): where an answered call is before an agent.
    "attendant": "Attendant speaking",
    "extension_ringing": "Extension ringing",
    "person": "Person",
    "machine": "Machine",
}
PHASES = frozenset({"attendant", "sending_digits", "extension_ringing", "person", "machine"})


def _s(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def call_state(answered: bool, has_extension: bool, digits_done: bool, bridged: bool,
               phase: str = "") -> str:
    """The one word for where a call is: digits pending outrank a bridge (agent_first); the
    listening phases (attendant, extension ringing, person, machine) refine "answered"."""
    if answered and has_extension and not digits_done:
        return "attendant" if phase == "attendant" else "sending_digits"
    if bridged:
        return "connected"
    if answered and phase in ("extension_ringing", "person", "machine"):
        return phase
    return "answered" if answered else "ringing"


@dataclass(frozen=True, slots=True)
class LiveCall:
    """One call in flight, as the floor shows it."""

    uuid: str
    number: str
    extension: str
    campaign_id: int
    campaign: str
    target_id: int
    attempt_id: int
    node: str
    agent: str
    state: str
    started_at: float
    state_at: float

    def as_dict(self, now: float) -> dict[str, Any]:
        """A JSON-ready row with its duration as of `now`."""
        return {
            "uuid": self.uuid, "number": self.number, "extension": self.extension,
            "campaign_id": self.campaign_id, "campaign": self.campaign,
            "target_id": self.target_id, "attempt_id": self.attempt_id, "node": self.node,
            "agent": self.agent, "state": self.state,
            "state_label": STATE_WORDS.get(self.state, self.state),
            "started_at": self.started_at,
            "duration_seconds": max(0, round(now - self.started_at)),
        }


class LiveCalls:
    """The live-call registry under `<prefix>:live:*`; every method takes `now` explicitly."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.base = f"{prefix}:live"
        self.index = f"{self.base}:calls"
        self.by_agent = f"{self.base}:byagent"

    def _key(self, uuid: str) -> str:
        return f"{self.base}:call:{uuid}"

    def add(self, call: LiveCall, client: Any = None) -> None:
        """Record a call being placed (pass a pipeline to share the dialer's round trip)."""
        c = client or self.client
        c.hset(self._key(call.uuid), mapping={
            "number": call.number, "extension": call.extension,
            "campaign_id": call.campaign_id, "campaign": call.campaign,
            "target_id": call.target_id, "attempt_id": call.attempt_id, "node": call.node,
            "agent": call.agent, "state": call.state, "started_at": repr(call.started_at),
            "state_at": repr(call.state_at), "answered": "0", "digits_done": "0",
            "bridged": "0"})
        c.expire(self._key(call.uuid), CALL_TTL_SECONDS)
        c.zadd(self.index, {call.uuid: call.started_at})
        c.zadd(self._campaign_index(call.campaign_id), {call.uuid: call.started_at})
        if call.agent:
            c.hset(self.by_agent, call.agent, call.uuid)

    def progress(self, uuid: str, now: float, *, answered: bool = False,
                 digits_done: bool = False, bridged: bool = False,
                 phase: str = "") -> str | None:
        """Note answer / digits sent / bridge / a listening phase; return the new state (None:
        call not live)."""
        key = self._key(uuid)
        flags = {"answered": answered, "digits_done": digits_done, "bridged": bridged}
        updates: dict[Any, Any] = {name: "1" for name, on in flags.items() if on}
        if phase in PHASES:
            updates["phase"] = phase
        pipe = self.client.pipeline(transaction=True)
        if updates:
            pipe.hset(key, mapping=updates)
        pipe.hmget(key, "answered", "extension", "digits_done", "bridged", "state", "number",
                   "phase")
        row = [_s(v) for v in pipe.execute()[-1]]
        if not row[5]:
            self.client.delete(key)  # hset on a finished call created a stub: drop it
            return None
        state = call_state(row[0] == "1", bool(row[1]), row[2] == "1", row[3] == "1", row[6])
        if state != row[4]:
            self.client.hset(key, mapping={"state": state, "state_at": repr(now)})
        return state

    def remove(self, uuid: str) -> None:
        """Forget an ended call (and its place in the campaign's list and the agent's slot)."""
        key = self._key(uuid)
        campaign_id, agent = (_s(v) for v in self.client.hmget(key, "campaign_id", "agent"))
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(key)
        pipe.zrem(self.index, uuid)
        if campaign_id:
            pipe.zrem(self._campaign_index(campaign_id), uuid)
        pipe.execute()
        # Compare-and-delete: the agent may already be on its next call.
        if agent and _s(self.client.hget(self.by_agent, agent)) == uuid:
            self.client.hdel(self.by_agent, agent)

    def _campaign_index(self, campaign_id: int | str) -> str:
        return f"{self.index}:campaign:{campaign_id}"

    def count(self, campaign_id: int | None = None) -> int:
        """How many calls are live (in one campaign, or in all)."""
        index = self.index if campaign_id is None else self._campaign_index(campaign_id)
        return int(self.client.zcard(index))

    def page(self, now: float, limit: int = 200, campaign_id: int | None = None
             ) -> list[LiveCall]:
        """Up to `limit` live calls, oldest (longest) first: O(limit), whatever the total."""
        index = self.index if campaign_id is None else self._campaign_index(campaign_id)
        # Entries past the TTL are records we never saw end: prune them as we go.
        self.client.zremrangebyscore(index, "-inf", now - CALL_TTL_SECONDS)
        uuids = self.client.zrange(index, 0, limit - 1)
        return self.get_many([_s(u) for u in uuids])

    def for_agents(self, agents: Sequence[str]) -> dict[str, LiveCall]:
        """Each agent's current call (agents without one are absent)."""
        if not agents:
            return {}
        uuids = [_s(u) for u in self.client.hmget(self.by_agent, list(agents))]
        calls = {call.uuid: call for call in self.get_many([u for u in uuids if u])}
        return {agent: calls[u] for agent, u in zip(agents, uuids, strict=True) if u in calls}

    def get_many(self, uuids: Iterable[str]) -> list[LiveCall]:
        """The records of these uuids, in order; vanished ones are skipped."""
        uuids = list(uuids)
        pipe = self.client.pipeline(transaction=False)
        for u in uuids:
            pipe.hgetall(self._key(u))
        out = []
        for u, raw in zip(uuids, pipe.execute(), strict=True):
            if raw:
                out.append(_decode(u, {_s(k): _s(v) for k, v in raw.items()}))
        return out


def _decode(uuid: str, h: Mapping[str, str]) -> LiveCall:
    def num(name: str) -> float:
        try:
            return float(h.get(name) or 0)
        except ValueError:
            return 0.0

    return LiveCall(
        uuid=uuid, number=h.get("number", ""), extension=h.get("extension", ""),
        campaign_id=int(num("campaign_id")), campaign=h.get("campaign", ""),
        target_id=int(num("target_id")), attempt_id=int(num("attempt_id")),
        node=h.get("node", ""), agent=h.get("agent", ""), state=h.get("state", "ringing"),
        started_at=num("started_at"), state_at=num("state_at"),
    )
