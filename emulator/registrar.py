"""A node's sofia registrations: REGISTER, unREGISTER, expiry sweep, OPTIONS pings, TCP drops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from emulator import registrations as regs
from emulator.registrations import Registration


class RegistrarHost(Protocol):
    """What the registrar needs of its node (the node composes the registrar, never the reverse)."""

    name: str
    domain: str
    ipv4: str
    loop: asyncio.AbstractEventLoop
    registrations: dict[str, Registration]
    seq: int
    expire_linger: float
    tcp_drop_mode: str
    transport_error_subclass: str
    transport_error_ip_header: str
    transport_error_port_header: str
    unregister_on_options_fail: bool

    def emit_custom(
        self, subclass: str, headers: list[tuple[str, str]], calling: str = ""
    ) -> None: ...


class Registrar:
    """Changes to the registration table, each firing the events FreeSWITCH fires."""

    def __init__(self, node: RegistrarHost) -> None:
        self.node = node
        # reg_nh_hash (sofia_reg.c): every Call-ID ever registered over one live TCP/TLS
        # connection, oldest first, kept per Call-ID rather than per row (capture 31).
        self.sockets: dict[tuple[str, int], list[Registration]] = {}
        # Called with every accepted registration (the node wires its directory to it).
        self.on_register: Callable[[Registration], None] | None = None

    @staticmethod
    def _socket(reg: Registration) -> tuple[str, int] | None:
        return None if reg.transport == "udp" else (reg.network_ip, reg.network_port)

    def restarted(self) -> None:
        """A new process: the rows persist (sofia_reg_internal.db, capture 32c), sockets do not.

        No event is fired for them, and as their connections died with the old process none
        will ever fire for a socket close; they stay until expiry or a flush.
        """
        self.sockets.clear()
        for reg in self.node.registrations.values():
            if reg.transport != "udp":
                reg.persisted = True

    def sweep(self, now: float | None = None) -> list[str]:
        """The registration expiry sweep: sofia::expire for rows past expiry (kept ~2 s after)."""
        now = time.time() if now is None else now
        fired: list[str] = []
        for reg in list(self.node.registrations.values()):
            if reg.expired_at or reg.expiry > now:
                continue
            reg.expired_at = now
            self.node.emit_custom("sofia::expire", regs.expire_headers(reg))
            fired.append(reg.call_id)

            def drop(call_id: str = reg.call_id, row: Registration = reg) -> None:
                if self.node.registrations.get(call_id) is row:
                    del self.node.registrations[call_id]

            # The row is still listed (negative EXPSECS) for a moment (files 13, 14b).
            self.node.loop.call_later(self.node.expire_linger, drop)
        return fired

    def live_registrations(self) -> list[Registration]:
        """Rows `sofia status ... reg` lists (including just-expired ones, as FreeSWITCH does)."""
        return list(self.node.registrations.values())

    def find_registration(self, user: str, domain: str = "") -> Registration | None:
        """The newest routable registration of a user (expired rows are not routable)."""
        found: Registration | None = None
        for reg in self.node.registrations.values():
            if reg.user != user or reg.expired_at:
                continue
            if domain and domain != reg.domain and domain not in (self.node.domain, self.node.ipv4):
                continue
            if found is None or reg.registered_at >= found.registered_at:
                found = reg
        return found

    def register(self, reg: Registration) -> None:
        """A successful REGISTER: pre_register, register_attempt, register."""
        # multiple-registrations=contact (vanilla): a new Call-ID from the same Contact
        # replaces the old row silently, with no event for it (capture 31).
        for old_id, old in list(self.node.registrations.items()):
            same_aor = old.user == reg.user and old.domain == reg.domain
            if same_aor and old.contact == reg.contact and old_id != reg.call_id:
                del self.node.registrations[old_id]
        self.node.registrations[reg.call_id] = reg
        key = self._socket(reg)
        if key is not None:
            handles = self.sockets.setdefault(key, [])
            if all(h.call_id != reg.call_id for h in handles):
                handles.append(reg)
        if self.on_register is not None:
            self.on_register(reg)
        self.node.emit_custom("sofia::pre_register", regs.pre_register_headers(reg, reg.expires))
        self.node.seq += 1  # FreeSWITCH fires an unsubscribed event in between (sequence gap)
        self.node.emit_custom(
            "sofia::register_attempt", regs.register_attempt_headers(reg, reg.expires, "RENEWED")
        )
        self.node.emit_custom("sofia::register", regs.register_headers(reg))

    def register_failure(self, reg: Registration) -> None:
        """A REGISTER with a wrong password: register_attempt FORBIDDEN, register_failure."""
        self.node.emit_custom("sofia::pre_register", regs.pre_register_headers(reg, reg.expires))
        self.node.seq += 1
        self.node.emit_custom(
            "sofia::register_attempt",
            regs.register_attempt_headers(reg, reg.expires, "FORBIDDEN"),
        )
        self.node.emit_custom("sofia::register_failure", regs.register_failure_headers(reg))

    def unregister(self, reg: Registration) -> None:
        """REGISTER with Expires: 0."""
        self.node.registrations.pop(reg.call_id, None)
        key = self._socket(reg)
        if key in self.sockets:
            self.sockets[key] = [h for h in self.sockets[key] if h.call_id != reg.call_id]
        self.node.emit_custom("sofia::pre_register", regs.pre_register_headers(reg, 0))
        self.node.seq += 1
        self.node.emit_custom(
            "sofia::register_attempt", regs.register_attempt_headers(reg, 0, "RENEWED")
        )
        self.node.seq += 1
        self.node.emit_custom("sofia::unregister", regs.unregister_headers(reg))

    def drop(self, reg: Registration) -> str:
        """The phone's TCP connection closed; what happens depends on the node's mode."""
        if self.node.tcp_drop_mode == "stock-silent" or reg.transport == "udp":
            return "none"
        key = self._socket(reg)
        handles = self.sockets.pop(key, []) if key is not None else []
        if not handles:
            return "none"  # its connection died with a previous process: nothing can fire
        if self.node.tcp_drop_mode == "stock-unreg":
            # One sofia::unregister per Call-ID ever registered on the connection, the
            # replaced ones included, in the same millisecond (capture 31).
            for handle in handles:
                self.node.registrations.pop(handle.call_id, None)
                self.node.emit_custom(
                    "sofia::unregister",
                    regs.socket_unregister_headers(handle),
                    calling="sofia::unregister/socket",
                )
                self.node.seq += 1  # an unsubscribed event between the two (capture 31)
            return "sofia::unregister"
        self.node.emit_custom(
            self.node.transport_error_subclass,
            [
                (self.node.transport_error_ip_header, reg.network_ip),
                (self.node.transport_error_port_header, str(reg.network_port)),
            ],
        )
        return self.node.transport_error_subclass

    def flush(self, match: str = "") -> list[Registration]:
        """`sofia profile <p> flush_inbound_reg [<call_id>|<user>@<domain>]` (capture 32c).

        The rows leave the listing at once; each gets its sofia::expire (the stored absolute
        expiry) about 40 ms later, from sofia_reg_check_expire's callback.
        """
        user, _, host = match.partition("@")
        flushed: list[Registration] = []
        for call_id, reg in list(self.node.registrations.items()):
            if (
                match
                and call_id != match
                and not (reg.user == user and self._same_domain(host, reg))
            ):
                continue
            del self.node.registrations[call_id]
            flushed.append(reg)

        def fire() -> None:
            for reg in flushed:
                self.node.emit_custom("sofia::expire", regs.expire_headers(reg))
                self.node.seq += 1

        if flushed:
            self.node.loop.call_later(0.04, fire)
        return flushed

    def _same_domain(self, host: str, reg: Registration) -> bool:
        return host == reg.domain or (
            reg.domain in (self.node.domain, self.node.ipv4)
            and host in (self.node.domain, self.node.ipv4)
        )

    def set_reachable(self, reg: Registration, reachable: bool) -> bool:
        """OPTIONS pings changed state; fires sip_user_state only on a change."""
        state = "Reachable" if reachable else "Unreachable"
        if reg.ping_status == state:
            return False
        reg.ping_status = state
        self.node.emit_custom("sofia::sip_user_state", regs.user_state_headers(reg, reachable))
        if not reachable and self.node.unregister_on_options_fail:
            # unregister-on-options-fail: expiry becomes "now"; the next sweep expires it (23).
            reg.expiry = float(int(time.time()))
        return True
