"""Read models of the presence store: reservations, node status, an agent's three axes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reservation:
    """One agent held for one call until the lease ends or the token is released."""

    agent: str
    node: str
    token: str
    via: str = ""  # the SIP proxy the agent is registered with ("" = on `node` itself)


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What the listener knows about a node; only an `up` node's registrations are trusted."""

    name: str
    state: str  # up, syncing (connected, reconcile pending), lost, unknown
    core: str
    connected: bool
    last_seen: float | None
    last_heartbeat: float | None
    session_count: int | None
    max_sessions: int | None
    session_per_sec: int | None
    session_per_sec_last: int | None
    idle_cpu: float | None
    lost_reason: str
    trusted_until: float | None = None
    figures: Mapping[str, str] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        """True when the node is connected, reconciled and its registrations trusted."""
        return self.state == "up"

    def trusted(self, now: float) -> bool:
        """Up, and a listener has vouched for it recently (a dead listener fails closed)."""
        return self.up and (self.trusted_until is None or self.trusted_until > now)


@dataclass(frozen=True, slots=True)
class RegistrationView:
    """One registration as shown to the API: where, how, until when, and whether it counts."""

    node: str
    call_id: str
    contact: str
    transport: str
    network: str
    user_agent: str
    expires_at: float
    unreachable: bool
    trusted: bool
    # Listed by the node after a restart but not registered again since (TCP/TLS): its
    # connection died with the old process. Never trusted until a REGISTER or OPTIONS proves it.
    stale: bool = False


@dataclass(frozen=True, slots=True)
class AgentPresence:
    """The three axes of one agent, and whether it can take a call now."""

    agent: str
    known: bool
    enabled: bool
    groups: tuple[str, ...]
    intent: str
    reason: str
    activity: str
    activity_until: float | None
    registrations: tuple[RegistrationView, ...]
    intent_at: float | None = None  # when the intent last changed (epoch seconds)
    activity_at: float | None = None  # when the activity last changed

    @property
    def state_since(self) -> float | None:
        """When the agent entered its current state (the later of the two axes' changes)."""
        times = [t for t in (self.intent_at, self.activity_at) if t]
        return max(times) if times else None

    @property
    def registered(self) -> bool:
        """At least one live, trusted, reachable registration."""
        return any(r.trusted and not r.unreachable for r in self.registrations)

    @property
    def routable(self) -> bool:
        """Registered, available and idle: the only state in which a call may be routed."""
        return (self.known and self.enabled and self.registered
                and self.intent == "available" and self.activity == "idle")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the API and the admin."""
        return {
            "agent": self.agent,
            "enabled": self.enabled,
            "groups": list(self.groups),
            "registered": self.registered,
            "intent": self.intent,
            "reason": self.reason,
            "activity": self.activity,
            "activity_until": self.activity_until,
            "routable": self.routable,
            "registrations": [
                {"node": r.node, "contact": r.contact, "transport": r.transport,
                 "network": r.network, "user_agent": r.user_agent,
                 "expires_at": r.expires_at, "unreachable": r.unreachable, "trusted": r.trusted,
                 "stale": r.stale}
                for r in self.registrations
            ],
        }
