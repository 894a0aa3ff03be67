"""The sofia registration table of one node and the CUSTOM events it fires."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Registration:
    """One registered contact (a row of sofia_registrations)."""

    user: str
    domain: str
    call_id: str
    contact_ip: str
    contact_port: int
    network_ip: str
    network_port: int
    transport: str  # "udp" | "tcp" | "tls"
    expires: int  # what the phone asked for
    registered_at: float
    expiry: float  # absolute epoch after which the sweep removes it
    user_agent: str = "emulator"
    ping_status: str = "Reachable"
    expired_at: float = 0.0
    answer_ms: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # A TCP/TLS row kept from before a restart: its connection died with the old process, so
    # nothing is behind it until the phone registers again (capture 32c).
    persisted: bool = False

    @property
    def status(self) -> str:
        """`Registered(TCP)` and friends."""
        return f"Registered({self.transport.upper()})"

    @property
    def contact(self) -> str:
        """The Contact as FreeSWITCH prints it."""
        return (
            f'"" <sip:{self.user}@{self.contact_ip}:{self.contact_port};'
            f"transport={self.transport.upper()}>"
        )

    def directory_vars(self) -> list[tuple[str, str]]:
        """The directory user's variables merged into register/unregister (vanilla users)."""
        u, d = self.user, self.domain
        return [
            ("sip_number_alias", u),
            ("sip_auth_username", u),
            ("sip_auth_realm", d),
            ("number_alias", u),
            ("user_name", u),
            ("domain_name", d),
            ("record_stereo", "true"),
            ("default_gateway", "example.com"),
            ("default_areacode", "918"),
            ("transfer_fallback_extension", "operator"),
            ("toll_allow", "domestic,international,local"),
            ("accountcode", u),
            ("user_context", "default"),
            ("effective_caller_id_name", f"Extension {u}"),
            ("effective_caller_id_number", u),
            ("outbound_caller_id_name", "FreeSWITCH"),
            ("outbound_caller_id_number", "0000000000"),
            ("callgroup", "techsupport"),
        ]

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """JSON form for the control API."""
        now = time.time() if now is None else now
        return {
            "user": self.user,
            "domain": self.domain,
            "call_id": self.call_id,
            "contact": self.contact,
            "network_ip": self.network_ip,
            "network_port": self.network_port,
            "transport": self.transport,
            "expires": self.expires,
            "expiry": round(self.expiry, 3),
            "expsecs": int(self.expiry - now),
            "ping_status": self.ping_status,
            "expired": bool(self.expired_at),
        }


def new_registration(
    user: str,
    domain: str,
    *,
    expires: int,
    transport: str,
    late_margin: int,
    now: float,
    contact_ip: str = "127.0.0.1",
    contact_port: int | None = None,
    network_ip: str = "127.0.0.1",
    network_port: int | None = None,
    call_id: str | None = None,
    user_agent: str = "emulator",
    answer_ms: int | None = None,
) -> Registration:
    """Build a registration row with FreeSWITCH's stored expiry (now + expires + margin)."""
    if transport not in ("udp", "tcp", "tls"):
        raise ValueError("transport must be udp, tcp or tls")
    if expires <= 0:
        raise ValueError("expires must be positive")
    port = network_port or _port_for(user)
    return Registration(
        user=user,
        domain=domain,
        call_id=call_id or f"{uuid.uuid4().hex[:12]}@{network_ip}",
        contact_ip=contact_ip,
        contact_port=contact_port or port,
        network_ip=network_ip,
        network_port=port,
        transport=transport,
        expires=expires,
        registered_at=now,
        expiry=float(int(now) + expires + late_margin),
        user_agent=user_agent,
        answer_ms=answer_ms,
    )


def _port_for(user: str) -> int:
    return 20000 + (sum(map(ord, user)) * 7919) % 40000


def pre_register_headers(reg: Registration, expires: int) -> list[tuple[str, str]]:
    """sofia::pre_register (capture 12)."""
    return [
        ("profile-name", "internal"),
        ("from-user", reg.user),
        ("from-host", reg.domain),
        ("contact", reg.contact),
        ("call-id", reg.call_id),
        ("rpid", "unknown"),
        ("status", reg.status),
        ("expires", str(expires)),
        ("to-user", reg.user),
        ("to-host", reg.domain),
        ("network-ip", reg.network_ip),
        ("network-port", str(reg.network_port)),
        ("user-agent", reg.user_agent),
    ]


def register_attempt_headers(reg: Registration, expires: int, result: str) -> list[tuple[str, str]]:
    """sofia::register_attempt with auth-result RENEWED or FORBIDDEN."""
    h = pre_register_headers(reg, expires)
    ua = h.pop()
    return [*h, ("username", reg.user), ("realm", reg.domain), ua, ("auth-result", result)]


def register_headers(reg: Registration) -> list[tuple[str, str]]:
    """sofia::register (captures 12, 21)."""
    return [
        ("profile-name", "internal"),
        ("from-user", reg.user),
        ("from-host", reg.domain),
        ("presence-hosts", f"{reg.domain},{reg.domain}"),
        ("contact", reg.contact),
        ("call-id", reg.call_id),
        ("rpid", "unknown"),
        ("status", reg.status),
        ("expires", str(reg.expires)),
        ("to-user", reg.user),
        ("to-host", reg.domain),
        ("network-ip", reg.network_ip),
        ("network-port", str(reg.network_port)),
        ("username", reg.user),
        ("realm", reg.domain),
        ("user-agent", reg.user_agent),
        *reg.directory_vars(),
    ]


def unregister_headers(reg: Registration) -> list[tuple[str, str]]:
    """sofia::unregister for a REGISTER with Expires: 0 (capture 12)."""
    return [
        ("profile-name", "internal"),
        ("username", reg.user),
        ("from-user", reg.user),
        ("from-host", reg.domain),
        ("contact", reg.contact),
        ("call-id", reg.call_id),
        ("rpid", "unknown"),
        ("realm", reg.domain),
        ("network-ip", reg.network_ip),
        ("network-port", str(reg.network_port)),
        ("user-agent", reg.user_agent),
        ("expires", "0"),
        *reg.directory_vars(),
    ]


def socket_unregister_headers(reg: Registration) -> list[tuple[str, str]]:
    """sofia::unregister on a TCP close with tcp-unreg-on-socket-close (capture 22)."""
    return [
        ("profile-name", "internal"),
        ("from-user", reg.user),
        ("from-host", reg.domain),
        ("call-id", reg.call_id),
        ("rpid", "unknown"),
        ("reason", "socket-disconnection"),
    ]


def expire_headers(reg: Registration) -> list[tuple[str, str]]:
    """sofia::expire with the absolute-epoch expires (captures 13, 14b, 23)."""
    return [
        ("profile-name", "internal"),
        ("call-id", reg.call_id),
        ("user", reg.user),
        ("username", reg.user),
        ("host", reg.domain),
        ("contact", reg.contact),
        ("expires", str(int(reg.expiry))),
        ("user-agent", reg.user_agent),
        ("realm", reg.domain),
        ("network-ip", reg.network_ip),
        ("network-port", str(reg.network_port)),
    ]


def user_state_headers(reg: Registration, reachable: bool) -> list[tuple[str, str]]:
    """sofia::sip_user_state (capture 23)."""
    return [
        ("sip_contact", reg.contact),
        ("profile-name", "internal"),
        ("sip_user", f"{reg.user}@{reg.domain}"),
        ("from-user", reg.user),
        ("from-host", reg.domain),
        ("call-id", reg.call_id),
        ("Ping-Status", "REACHABLE" if reachable else "UNREACHABLE"),
        ("Status", "200" if reachable else "503"),
        ("Phrase", "OK" if reachable else "Service Unavailable"),
    ]


def register_failure_headers(reg: Registration) -> list[tuple[str, str]]:
    """sofia::register_failure after a wrong password (capture 12)."""
    return [
        ("profile-name", "internal"),
        ("to-user", reg.user),
        ("to-host", reg.domain),
        ("network-ip", reg.network_ip),
        ("user-agent", reg.user_agent),
        ("profile-name", "internal"),
        ("network-port", str(reg.network_port)),
        ("registration-type", "REGISTER"),
    ]


def status_listing(regs: list[Registration], hostname: str, now: float) -> str:
    """`sofia status profile internal reg` text (captures 12, 13)."""
    bar = "=" * 97
    lines = ["", "Registrations:", bar]
    for r in regs:
        exp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.expiry))
        lines += [
            f"Call-ID:    \t{r.call_id}",
            f"User:       \t{r.user}@{r.domain}",
            f"Contact:    \t{r.contact}",
            f"Agent:      \t{r.user_agent}",
            f"Status:     \t{r.status}(unknown) EXP({exp}) EXPSECS({int(r.expiry - now)})",
            f"Ping-Status:\t{r.ping_status}",
            "Ping-Time:\t0.00",
            f"Host:       \t{hostname}",
            f"IP:         \t{r.network_ip}",
            f"Port:       \t{r.network_port}",
            f"Auth-User:  \t{r.user}",
            f"Auth-Realm: \t{r.domain}",
            f"MWI-Account:\t{r.user}@{r.domain}",
            "",
        ]
    lines += [f"Total items returned: {len(regs)}", bar, ""]
    return "\n".join(lines)


def xml_listing(regs: list[Registration], hostname: str, now: float) -> str:
    """`sofia xmlstatus profile internal reg` (captures 02, 13)."""
    out = ['<?xml version="1.0" encoding="ISO-8859-1"?>', "<profile>", "  <registrations>"]
    for r in regs:
        exp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.expiry))
        contact = _xml_escape(r.contact)
        out += [
            "    <registration>",
            f"        <call-id>{_xml_escape(r.call_id)}</call-id>",
            f"        <user>{r.user}@{r.domain}</user>",
            f"        <contact>{contact}</contact>",
            f"        <agent>{_xml_escape(r.user_agent)}</agent>",
            f"        <status>{r.status}(unknown) exp({exp}) "
            f"expsecs({int(r.expiry - now)})</status>",
            f"        <ping-status>{r.ping_status}</ping-status>",
            "        <ping-time>0.00</ping-time>",
            f"        <host>{hostname}</host>",
            f"        <network-ip>{r.network_ip}</network-ip>",
            f"        <network-port>{r.network_port}</network-port>",
            f"        <sip-auth-user>{r.user}</sip-auth-user>",
            f"        <sip-auth-realm>{r.domain}</sip-auth-realm>",
            f"        <mwi-account>{r.user}@{r.domain}</mwi-account>",
            "    </registration>",
        ]
    out += ["  </registrations>", "</profile>", ""]
    return "\n".join(out)


def _xml_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )
