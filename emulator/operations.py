"""The control surface of one node, shared by the HTTP API and the in-process API."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from emulator.node import TCP_DROP_MODES, Node
from emulator.outcomes import Outcome, Phone
from emulator.registrations import Registration, new_registration

JSON = Any


class ControlError(ValueError):
    """A bad control request (HTTP 400 / ValueError in process)."""


class NodeOps:
    """JSON-in, JSON-out operations on one node; run them on the node's event loop."""

    # Operations that only read state (HTTP GET); every other public one is a POST.
    READ = frozenset(
        {
            "stats", "commands", "channels", "channel", "dtmf", "media", "agents", "outcomes",
            "agent_phones", "directory",
        }
    )  # fmt: skip

    def __init__(self, node: Node) -> None:
        self.node = node

    # -- records -----------------------------------------------------------------------------

    def stats(self) -> JSON:
        """Node state: ports, Core-UUID, sessions, limits, registrations, connections."""
        n = self.node
        return {
            "name": n.name,
            "port": n.port,
            "up": n.up,
            "hung": n.hung,
            "core_uuid": n.core_uuid,
            "event_sequence": n.seq,
            "sessions": len(n.calls.channels),
            "sessions_since_startup": n.sessions_since_startup,
            "peak_sessions": n.peak_sessions,
            "max_sessions": n.max_sessions,
            "sps": n.sps,
            "sps_remaining": n.sps_remaining(),
            "registrations": len(n.registrations),
            "connections": len(n.connections),
            "listeners": len(n.listeners),
            "commands_recorded": len(n.commands),
            "tcp_drop_mode": n.tcp_drop_mode,
            "heartbeat_interval": n.heartbeat_interval,
            "sweep_interval": n.sweep_interval,
        }

    def commands(self, since: float = 0.0, conn: int | None = None, contains: str = "") -> JSON:
        """Every ESL command received after `since` (epoch seconds)."""
        since = float(since)
        out = []
        for entry in self.node.commands:
            if entry["t"] <= since:
                continue
            if conn is not None and entry["conn"] != int(conn):
                continue
            if contains and contains not in entry["command"]:
                continue
            out.append(entry)
        return out

    def channels(
        self, live: bool | str | None = None, since: float = 0.0, events: bool = False
    ) -> JSON:
        """Live and finished channels (oldest first) with events (optional) and DTMF logs."""
        want_events = _flag(events)
        live_only = None if live is None else _flag(live)
        out = []
        if live_only is not True:
            out += [c.to_dict(want_events) for c in self.node.history if c.created > float(since)]
        if live_only is not False:
            out += [
                c.to_dict(want_events)
                for c in self.node.calls.channels.values()
                if c.created > float(since)
            ]
        return out

    def channel(self, uuid: str) -> JSON:
        """One channel (live or finished) with its events and DTMF log."""
        ch = self.node.calls.channels.get(uuid)
        if ch is None:
            for old in reversed(self.node.history):
                if old.uuid == uuid:
                    ch = old
                    break
        if ch is None:
            raise ControlError(f"no channel {uuid}")
        out = ch.to_dict(True)
        if ch.media_state is not None:
            out["media"] = self.node.calls.apps.media.log(ch)
        return out

    def media(self, uuid: str) -> JSON:
        """A far end's placed media timeline and, per digit sent, the sound it went over."""
        return self.channel(uuid).get("media") or {"timeline": [], "digits": [],
                                                    "digits_over_sound": 0}

    def dtmf(self, uuid: str) -> JSON:
        """The DTMF log of one channel: digit, played_at, duration_ms, source."""
        return self.channel(uuid)["dtmf"]

    def reset_records(self) -> JSON:
        """Forget recorded commands and finished channels."""
        self.node.commands.clear()
        self.node.history.clear()
        return {"ok": True}

    # -- scripted outcomes -------------------------------------------------------------------

    def set_outcome(self, pattern: str, **fields: Any) -> JSON:
        """Script a number, a `prefix*` pattern or `*` (default): see Outcome."""
        try:
            outcome = Outcome.from_dict(fields)
        except (TypeError, ValueError) as exc:
            raise ControlError(str(exc)) from exc
        self.node.outcomes.set(str(pattern), outcome)
        return {"pattern": pattern, "outcome": outcome.to_dict()}

    def clear_outcomes(self) -> JSON:
        """Back to the default: answer after 50 ms, stay up."""
        self.node.outcomes.clear()
        return {"ok": True}

    def outcomes(self) -> JSON:
        """The scripted outcomes."""
        return self.node.outcomes.to_dict()

    def far_end_hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> JSON:
        """The far end of a live leg hangs up now (BYE)."""
        if not self.node.calls.far_end_hangup(uuid, cause.upper()):
            raise ControlError(f"no channel {uuid}")
        return {"ok": True}

    # -- agent phones and the node's configuration (calls) -----------------------------------

    def set_agent_phone(self, user: str, kind: str = "answer", **fields: Any) -> JSON:
        """Script what agent `user`'s phone does with an INVITE: see outcomes.Phone."""
        try:
            phone = Phone(kind=kind, **fields)
        except (TypeError, ValueError) as exc:
            raise ControlError(str(exc)) from exc
        self.node.calls.phones.set(str(user), phone)
        return {"user": str(user), "phone": phone.to_dict()}

    def clear_agent_phones(self) -> JSON:
        """Every agent phone answers again."""
        self.node.calls.phones.clear()
        return {"ok": True}

    def agent_phones(self) -> JSON:
        """The scripted agent phones."""
        return self.node.calls.phones.to_dict()

    def set_gateways(self, gateways: list[str]) -> JSON:
        """The node's trunk gateways (names or globs); others give INVALID_GATEWAY."""
        if not isinstance(gateways, list) or not all(isinstance(g, str) for g in gateways):
            raise ControlError("gateways must be a list of names")
        self.node.calls.directory.gateways = set(gateways)
        return self.directory()

    def set_directory(
        self, users: list[str] | None = None, domains: list[str] | None = None
    ) -> JSON:
        """Directory users and extra domains (names or globs); others are SUBSCRIBER_ABSENT."""
        d = self.node.calls.directory
        for value in (users, domains):
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                raise ControlError("users and domains must be lists of names")
        if users is not None:
            d.users = set(users)
        if domains is not None:
            d.domains = set(domains)
        return self.directory()

    def directory(self) -> JSON:
        """Gateways, directory users and extra domains."""
        return self.node.calls.directory.to_dict()

    # -- agents ------------------------------------------------------------------------------

    def agents(self) -> JSON:
        """Registrations on this node (just-expired rows included, flagged)."""
        now = time.time()
        return [r.to_dict(now) for r in self.node.registrations.values()]

    def register_agent(
        self,
        user: str,
        domain: str | None = None,
        expires: int = 3600,
        transport: str = "udp",
        contact_port: int | None = None,
        network_ip: str = "127.0.0.1",
        network_port: int | None = None,
        call_id: str | None = None,
        user_agent: str = "emulator",
        answer_ms: int | None = None,
    ) -> JSON:
        """REGISTER: pre_register, register_attempt, register; returns the row."""
        n = self.node
        try:
            reg = new_registration(
                str(user),
                domain or n.domain,
                expires=int(expires),
                transport=transport,
                late_margin=n.late_margin,
                now=time.time(),
                contact_port=contact_port,
                network_ip=network_ip,
                network_port=network_port,
                call_id=call_id,
                user_agent=user_agent,
                answer_ms=answer_ms,
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        n.registrar.register(reg)
        return reg.to_dict()

    def register_failure(self, user: str, domain: str | None = None) -> JSON:
        """A REGISTER with a wrong password (nothing is stored)."""
        n = self.node
        reg = new_registration(
            str(user), domain or n.domain, expires=60, transport="udp",
            late_margin=n.late_margin, now=time.time(),
        )  # fmt: skip
        n.registrar.register_failure(reg)
        return {"ok": True}

    def _find(self, user: str, domain: str | None) -> Registration:
        for reg in reversed(list(self.node.registrations.values())):
            matches = reg.user == str(user) and (not domain or reg.domain == domain)
            if matches and not reg.expired_at:
                return reg
        raise ControlError(f"user {user} is not registered on {self.node.name}")

    def unregister_agent(self, user: str, domain: str | None = None) -> JSON:
        """REGISTER with Expires: 0: sofia::unregister."""
        self.node.registrar.unregister(self._find(user, domain))
        return {"ok": True}

    def expire_agent(self, user: str, domain: str | None = None, now: bool = True) -> JSON:
        """Let the registration lapse: expiry set to now; `now` runs the sweep at once."""
        reg = self._find(user, domain)
        reg.expiry = float(int(time.time()))
        fired = self.node.registrar.sweep() if _flag(now) else []
        return {"expired": fired}

    def agent_unreachable(self, user: str, domain: str | None = None) -> JSON:
        """OPTIONS pings start failing: sip_user_state UNREACHABLE (expire at the next sweep)."""
        return {"changed": self.node.registrar.set_reachable(self._find(user, domain), False)}

    def agent_reachable(self, user: str, domain: str | None = None) -> JSON:
        """OPTIONS pings answered again: sip_user_state REACHABLE."""
        return {"changed": self.node.registrar.set_reachable(self._find(user, domain), True)}

    def drop_agent(self, user: str, domain: str | None = None) -> JSON:
        """The phone's TCP connection closes (kill -9); the node's tcp_drop_mode decides.

        stock-unreg fires one sofia::unregister per Call-ID ever registered on that connection,
        replaced ones included (capture 31); a connection from before a restart fires nothing.
        """
        reg = self._find(user, domain)
        event = self.node.registrar.drop(reg)
        self.node.calls.phone_gone(reg)  # a row that lingers has no phone behind it (27)
        # Its calls stay up until their media timeout (capture 50).
        self.node.calls.phone_died(reg.user)
        return {"event": event}

    def sweep(self) -> JSON:
        """Run the registration expiry sweep now."""
        return {"expired": self.node.registrar.sweep()}

    # -- lifecycle and limits ----------------------------------------------------------------

    async def stop(self) -> JSON:
        """Close the ESL listener and every connection (node down; state kept)."""
        await self.node.stop()
        return {"up": False}

    async def start(self) -> JSON:
        """Listen again on the same port (same Core-UUID unless it was shut down)."""
        await self.node.start()
        return {"up": True, "port": self.node.port, "core_uuid": self.node.core_uuid}

    async def restart(self, down_for: float = 0.0) -> JSON:
        """Shutdown notice, calls gone, back with a new Core-UUID; registrations persist.

        The rows keep their old expiry (capture 32c) and fire nothing; their TCP connections
        are gone, so `drop_agent` on them fires nothing either (no socket will ever close).
        """
        await self.node.restart(float(down_for))
        return {"up": True, "port": self.node.port, "core_uuid": self.node.core_uuid}

    def shutdown(self) -> JSON:
        """fsctl shutdown (stays down until `start`)."""
        self.node.shutdown()
        return {"ok": True}

    def hang(self) -> JSON:
        """Keep accepting connections but stop answering (a slow node)."""
        self.node.hang()
        return {"hung": True}

    def unhang(self) -> JSON:
        """Answer again."""
        self.node.unhang()
        return {"hung": False}

    def heartbeat(self) -> JSON:
        """Fire one HEARTBEAT now."""
        self.node.heartbeat()
        return {"ok": True}

    def set_limits(
        self,
        max_sessions: int | None = None,
        sps: int | None = None,
        heartbeat_interval: float | None = None,
        sweep_interval: float | None = None,
    ) -> JSON:
        """max-sessions, sessions-per-second, HEARTBEAT and sweep intervals."""
        n = self.node
        if max_sessions is not None:
            n.max_sessions = int(max_sessions)
        if sps is not None:
            n.sps = int(sps)
            n._sps_left = min(n._sps_left, n.sps)
        if heartbeat_interval is not None:
            n.heartbeat_interval = float(heartbeat_interval)
        if sweep_interval is not None:
            n.sweep_interval = float(sweep_interval)
        if n.up and (heartbeat_interval is not None or sweep_interval is not None):
            n._schedule_timers()
        return self.stats()

    def configure_cdr(self, modules: list[dict[str, Any]]) -> JSON:
        """mod_json_cdr / mod_xml_cdr settings (emulator/cdr.py); [] turns CDR posts off."""
        try:
            return {"modules": self.node.cdr.configure(list(modules))}
        except (TypeError, ValueError) as exc:
            raise ControlError(f"bad CDR settings: {exc}") from exc

    def cdr_posts(self) -> JSON:
        """Every CDR post try so far (module, leg uuid, try, HTTP status or 0)."""
        return {"posts": list(self.node.cdr.sent)}

    def configure(self, **settings: Any) -> JSON:
        """TCP-drop mode and event names, agent answer delay, OPTIONS and expiry behaviour."""
        n = self.node
        allowed = {
            "tcp_drop_mode", "transport_error_subclass", "transport_error_ip_header",
            "transport_error_port_header", "unregister_on_options_fail", "agent_answer_ms",
            "expire_linger", "late_margin", "shutdown_delay",
        }  # fmt: skip
        unknown = set(settings) - allowed
        if unknown:
            raise ControlError(f"unknown settings: {sorted(unknown)}")
        if "tcp_drop_mode" in settings and settings["tcp_drop_mode"] not in TCP_DROP_MODES:
            raise ControlError(f"tcp_drop_mode must be one of {list(TCP_DROP_MODES)}")
        for key, value in settings.items():
            if key == "unregister_on_options_fail":
                value = _flag(value)
            setattr(n, key, value)
        return {k: getattr(n, k) for k in sorted(allowed)}


def operation(ops: NodeOps, name: str) -> Callable[..., Any]:
    """The public operation called `name`, or ControlError."""
    if name.startswith("_") or not hasattr(ops, name) or name in ("node", "READ"):
        raise ControlError(f"unknown operation {name!r}")
    fn = getattr(ops, name)
    if not callable(fn):
        raise ControlError(f"unknown operation {name!r}")
    return fn  # type: ignore[no-any-return]


async def invoke(ops: NodeOps, name: str, kwargs: dict[str, Any]) -> Any:
    """Run an operation with keyword arguments (awaiting the async ones)."""
    fn = operation(ops, name)
    try:
        result = fn(**kwargs)
    except TypeError as exc:
        raise ControlError(f"bad arguments for {name}: {exc}") from exc
    if inspect.isawaitable(result):
        awaited: Awaitable[Any] = result
        return await awaited
    return result


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes"):
            return True
        if value.lower() in ("0", "false", "no", ""):
            return False
        raise ControlError(f"not a boolean: {value!r}")
    return bool(value)
