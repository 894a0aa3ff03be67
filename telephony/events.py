"""Normalised FreeSWITCH events for presence, and the listener's subscription list."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

# Plain event names the listener subscribes to. The dispatch side may extend this tuple; the
# listener writes every one of these except HEARTBEAT to the `<prefix>:events` stream.
SUBSCRIBED_EVENTS: tuple[str, ...] = (
    "HEARTBEAT",
    "BACKGROUND_JOB",
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_PARK",
    "DETECTED_TONE",  # tone_detect: the ringback heard (media-aware connect, capture 45)
)

# CUSTOM subclasses the listener writes to the events stream for the results side.
MEDIA_SUBCLASSES: tuple[str, ...] = ("avmd::beep",)

# CUSTOM subclasses that feed the presence store (the TCP-drop subclass is a setting).
PRESENCE_SUBCLASSES: tuple[str, ...] = (
    "sofia::register",
    "sofia::unregister",
    "sofia::expire",
    "sofia::sip_user_state",
)

# FreeSWITCH keeps a registration for Expires plus `sip-expires-late-margin` (60 s by default).
DEFAULT_EXPIRES_LATE_MARGIN = 60


@dataclass(frozen=True)
class TcpDropFormat:
    """How a patched mod_sofia reports a TCP transport error (settings PRESENCE_TCP_DROP_*)."""

    subclass: str = "sofia::transport_error"
    ip_header: str = "network-ip"
    port_header: str = "network-port"


def presence_subclasses(drop: TcpDropFormat) -> list[str]:
    """CUSTOM subclasses to subscribe to (after the plain names: see capture 16)."""
    subclasses = [*PRESENCE_SUBCLASSES]
    if drop.subclass not in subclasses:
        subclasses.append(drop.subclass)
    return subclasses


class RawEvent(Protocol):
    """What the ESL client's Event offers (telephony.protocol.Event)."""

    @property
    def name(self) -> str: ...

    @property
    def subclass(self) -> str | None: ...

    def get(self, name: str, default: str | None = None) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Registration:
    """One SIP registration as FreeSWITCH holds it; expires_at is an absolute epoch."""

    agent: str
    call_id: str
    profile: str
    contact: str
    network_ip: str
    network_port: str
    transport: str
    user_agent: str
    expires_at: float
    unreachable: bool = False


@dataclass(frozen=True, slots=True)
class Registered:
    """sofia::register: a registration was added or refreshed."""

    core: str
    seq: int
    registration: Registration


@dataclass(frozen=True, slots=True)
class Unregistered:
    """sofia::unregister (expires 0, or `reason: socket-disconnection`) or sofia::expire."""

    core: str
    seq: int
    agent: str
    call_id: str
    kind: str  # "unregister", "socket_disconnect" or "expire"


@dataclass(frozen=True, slots=True)
class ReachabilityChanged:
    """sofia::sip_user_state: OPTIONS pings found the contact (un)reachable."""

    core: str
    seq: int
    agent: str
    call_id: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class TransportDropped:
    """The patched mod_sofia's CUSTOM event: the TCP connection from ip:port failed."""

    core: str
    seq: int
    network_ip: str
    network_port: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """HEARTBEAT: the node's load figures."""

    core: str
    seq: int
    figures: Mapping[str, str]


PresenceEvent = Registered | Unregistered | ReachabilityChanged | TransportDropped

# HEARTBEAT headers kept for the dispatcher, under the names node_status() returns.
HEARTBEAT_FIELDS: Mapping[str, str] = {
    "Session-Count": "session_count",
    "Max-Sessions": "max_sessions",
    "Session-Per-Sec": "session_per_sec",
    "Session-Per-Sec-Last": "session_per_sec_last",
    "Session-Per-Sec-Max": "session_per_sec_max",
    "Session-Since-Startup": "session_since_startup",
    "Session-Peak-Max": "session_peak_max",
    "Idle-CPU": "idle_cpu",
    "Uptime-msec": "uptime_msec",
    "FreeSWITCH-Version": "version",
}

_TRANSPORT = re.compile(r"Registered\(([A-Za-z]+)")
_CONTACT_TRANSPORT = re.compile(r";transport=([A-Za-z]+)", re.IGNORECASE)


def transport_of(status: str, contact: str) -> str:
    """Return udp/tcp/tls/ws/wss from `Registered(TCP-NAT)` or the contact's transport."""
    found = _TRANSPORT.search(status) or _CONTACT_TRANSPORT.search(contact)
    return found.group(1).lower() if found else "udp"


def _seq(event: RawEvent) -> int:
    value = event.get("Event-Sequence") or "0"
    # isdigit() alone accepts "²", which int() refuses: ASCII digits only.
    return int(value) if value.isascii() and value.isdigit() else 0


def _agent(user: str | None, host: str | None) -> str:
    return f"{user}@{host}" if user and host else ""


def normalise(
    event: RawEvent,
    drop: TcpDropFormat,
    now: float,
    late_margin: int = DEFAULT_EXPIRES_LATE_MARGIN,
) -> PresenceEvent | Heartbeat | None:
    """Turn a raw ESL event into a presence input, or None when it is not one."""
    core = event.get("Core-UUID") or ""
    seq = _seq(event)
    if event.name == "HEARTBEAT":
        figures = {key: value for name, key in HEARTBEAT_FIELDS.items()
                   if (value := event.get(name)) is not None}
        return Heartbeat(core, seq, figures)
    if event.name != "CUSTOM":
        return None
    subclass = event.subclass or event.get("Event-Subclass") or ""
    get = event.get
    call_id = get("call-id") or ""
    if subclass == "sofia::register":
        contact = get("contact") or ""
        expires = get("expires") or "0"
        agent = _agent(get("from-user"), get("from-host"))
        if not agent or not call_id or not (expires.isascii() and expires.isdigit()):
            return None
        return Registered(core, seq, Registration(
            agent=agent,
            call_id=call_id,
            profile=get("profile-name") or "",
            contact=contact,
            network_ip=get("network-ip") or "",
            network_port=get("network-port") or "",
            transport=transport_of(get("status") or "", contact),
            user_agent=get("user-agent") or "",
            expires_at=now + int(expires) + late_margin,
        ))
    if subclass == "sofia::unregister" and call_id:
        kind = "socket_disconnect" if get("reason") == "socket-disconnection" else "unregister"
        return Unregistered(core, seq, _agent(get("from-user"), get("from-host")), call_id, kind)
    if subclass == "sofia::expire" and call_id:
        return Unregistered(core, seq, _agent(get("user"), get("host")), call_id, "expire")
    if subclass == "sofia::sip_user_state" and call_id:
        status = (get("Ping-Status") or "").upper()
        if status not in ("REACHABLE", "UNREACHABLE"):
            return None
        agent = _agent(get("from-user"), get("from-host"))
        return ReachabilityChanged(core, seq, agent, call_id, status == "REACHABLE")
    if subclass == drop.subclass:
        ip, port = get(drop.ip_header), get(drop.port_header)
        if ip and port:
            return TransportDropped(core, seq, ip, port)
    return None


def stream_fields(
    node: str, event: RawEvent, headers: Mapping[str, str], body: str | None
) -> dict[str, str]:
    """Fields of one `<prefix>:events` stream entry: node, core, seq, name, data (JSON)."""
    data = dict(headers)
    if body:
        data["_body"] = body
    return {
        "node": node,
        "core": event.get("Core-UUID") or "",
        "seq": event.get("Event-Sequence") or "0",
        "name": event.name,
        "data": json.dumps(data, separators=(",", ":")),
    }
