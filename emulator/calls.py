"""The call engine: originate, far-end scripts, applications, bridges, DTMF and hangups."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from emulator.apps import Applications
from emulator.cdr import CdrReporter
from emulator.channel import Channel
from emulator.dialplan import (
    ORIGINATE_USAGE,
    App,
    DialError,
    Endpoint,
    parse_app_line,
    parse_app_spec,
    parse_dialstring,
    split_args,
)
from emulator.directory import Directory
from emulator.media import MediaState
from emulator.outcomes import Outcome, OutcomeTable, Phone, PhoneTable
from emulator.registrar import Registrar
from emulator.registrations import Registration
from emulator.sip_proxy import ProxyCall, parse_proxy

log = logging.getLogger(__name__)

Done = Callable[[str], None]

_DEFAULT_TIMEOUT_S = 60


class CallHost(Protocol):
    """What the call engine needs of its node (the node composes the engine, never the reverse)."""

    profiles: tuple[str, ...]
    agent_answer_ms: int
    sip_proxies: frozenset[str]  # "host:port" of real SIP proxies legs are sent to (sip_proxy)
    loop: asyncio.AbstractEventLoop
    domain: str
    ipv4: str

    @property
    def outcomes(self) -> OutcomeTable: ...

    @property
    def registrar(self) -> Registrar: ...

    @property
    def cdr(self) -> CdrReporter: ...

    def admit_session(self) -> bool: ...

    def session_started(self) -> None: ...

    def session_ended(self, ch: Channel) -> None: ...

    def emit_channel(self, ch: Channel, name: str, extra: dict[str, str]) -> None: ...

    def emit(
        self,
        name: str,
        build: Callable[[], list[tuple[str, str]]],
        *,
        subclass: str = "",
        body: str = "",
        calling: str = "",
        head: list[tuple[str, str]] | None = None,
        seq: int | None = None,
        stamp: float | None = None,
    ) -> None: ...

    @property
    def seq(self) -> int: ...


RTP_TIMEOUT_MS = 300_000  # internal.xml's vanilla rtp-timeout-sec (capture 50A)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "yes", "on", "1")


class CallEngine:
    """Every channel of one node and what happens to it."""

    def __init__(self, node: CallHost) -> None:
        self.node = node
        self.channels: dict[str, Channel] = {}
        self.apps = Applications(self)
        self.directory = Directory()
        self.phones = PhoneTable()
        # Registrations whose phone was killed (drop_agent) while the row stays listed, by
        # Call-ID; a new REGISTER is a new row and has its phone back.
        self._gone: dict[str, Registration] = {}

    # -- originate ---------------------------------------------------------------------------

    def originate(self, arg: str, done: Done, job_uuid: str = "") -> str | None:
        """`originate <dial> <&app(args)|'inline' inline|exten> ...`; None means pending."""
        args = split_args(arg)
        if len(args) < 2:
            return ORIGINATE_USAGE
        dial, exten = args[0], args[1]
        dialplan = args[2] if len(args) > 2 and args[2] != "undef" else "XML"
        context = args[3] if len(args) > 3 and args[3] != "undef" else "default"
        timeout = _DEFAULT_TIMEOUT_S
        if len(args) > 6 and args[6].isdigit():
            timeout = int(args[6])
        try:
            ep = parse_dialstring(dial, self.node.profiles)
        except DialError as exc:
            return f"-ERR {exc.cause}\n"
        apps = parse_app_spec(exten, dialplan)
        if apps is None:
            apps = [App("park")]  # no XML dialplan here: an extension just parks
        if len(args) > 4 and args[4] != "undef":
            ep.variables.setdefault("origination_caller_id_name", args[4])
        if len(args) > 5 and args[5] != "undef":
            ep.variables.setdefault("origination_caller_id_number", args[5])

        result: list[str] = []

        def finish(text: str) -> None:
            if result:
                return
            result.append(text)
            if pending:
                done(text)

        pending = False

        def on_up(ch: Channel) -> None:
            finish(f"+OK {ch.uuid}\n")
            ch.cid_flipped = True  # the caller profile flips once originate returns (file 03)
            if ch.hangup_cause or ch.done:
                return  # hung up while execute_on_answer ran
            self.set_state(ch, "CS_EXECUTE")
            ch.hit_dialplan = True
            self.apps.run_next(ch)

        def on_fail(cause: str) -> None:
            finish(f"-ERR {cause}\n")

        ch = self.place_leg(ep, context, timeout, on_up, on_fail, job_uuid=job_uuid)
        if ch is not None:
            ch.apps = [(a, "") for a in apps]
        if result:
            return result[0]
        pending = True
        return None

    def place_leg(
        self,
        ep: Endpoint,
        context: str,
        timeout_s: int,
        on_up: Callable[[Channel], None],
        on_fail: Callable[[str], None],
        *,
        job_uuid: str = "",
        a_leg: Channel | None = None,
    ) -> Channel | None:
        """Create one outbound leg and script its far end (no-channel failures call on_fail)."""
        node = self.node
        variables = dict(ep.variables)
        if ep.kind == "error":
            on_fail(ep.target)
            return None
        reg = None
        proxy_addr: tuple[str, int] | None = None
        chan_uuid = variables.get("origination_uuid") or str(uuid.uuid4())
        if ep.kind == "gateway" and not self.directory.has_gateway(ep.gateway):
            on_fail("INVALID_GATEWAY")  # no channel, within a millisecond (capture 33)
            return None
        if ep.kind == "user":
            absent = self.directory.user_cause(ep.target, ep.host, (node.domain, node.ipv4))
            reg = None if absent else node.registrar.find_registration(ep.target, ep.host)
            if reg is None:
                if ep.profile:
                    # sofia/<profile>/<user>%<host>: a lone CHANNEL_DESTROY first (file 19).
                    ghost = Channel(chan_uuid, "N/A", ep.target, time.time(), {}, bare=True)
                    self.emit(ghost, "CHANNEL_DESTROY", state="CS_NONE")
                    absent = ""
                on_fail(absent or "USER_NOT_REGISTERED")
                return None
        if chan_uuid in self.channels or not node.admit_session():
            # Duplicate UUID, over max-sessions or over sessions-per-second: no channel events.
            on_fail("DESTINATION_OUT_OF_ORDER")
            return None
        now = time.time()
        if reg is not None:
            name = f"sofia/internal/{reg.user}@{reg.contact_ip}:{reg.contact_port}"
            number = reg.user
            answer_ms = reg.answer_ms or node.agent_answer_ms
            phone = self.phones.lookup(reg.user)
            if reg.persisted:
                # A TCP row kept from before a restart: the new process's connection to the
                # contact is refused, 503 recv_refuse after ~0.5 s (capture 32c).
                outcome = Outcome(kind="failure", ring_ms=None, fail_ms=500, sip_status="503")
            elif self._gone.get(reg.call_id) is reg:
                outcome = Phone(kind="dead").outcome(answer_ms)  # 503 at once (capture 27)
            elif phone is not None:
                outcome = phone.outcome(answer_ms)
            else:
                outcome = Outcome(kind="answer", ring_ms=10, answer_ms=answer_ms)
            variables.setdefault("dialed_user", reg.user)
            variables.setdefault("dialed_domain", ep.host or reg.domain)
        else:
            if ep.kind == "gateway":
                # A gateway call is named after the profile it leaves by (captures 26-35b).
                name = f"sofia/external/{ep.target}"
                variables.setdefault("sip_gateway_name", ep.gateway)
            else:
                name = f"sofia/{ep.profile}/{ep.target}@{ep.host}" if ep.host else ep.raw
            number = ep.target
            outcome = node.outcomes.lookup(number)
            if ep.kind == "sofia" and ep.host.split(";", 1)[0] in node.sip_proxies:
                # The proxy decides (emulator.sip_proxy): nothing scripted happens on this leg.
                proxy_addr = parse_proxy(ep.host.split(";", 1)[0])
                outcome = Outcome(kind="no_answer", ring_ms=None)
        ch = Channel(
            uuid=chan_uuid,
            name=name,
            number=number,
            created=now,
            variables={},
            job_uuid=job_uuid,
            context=context,
        )
        if reg is not None:
            ch.presence_id = f"{reg.user}@{reg.domain}"
            ch.agent_user = reg.user
            variables.setdefault("presence_id", ch.presence_id)
        if "origination_caller_id_number" in variables:
            ch.cid_number = variables["origination_caller_id_number"]
        if "origination_caller_id_name" in variables:
            ch.cid_name = variables["origination_caller_id_name"]
        if a_leg is not None:
            ch.is_b_leg = True
            ch.call_uuid = a_leg.uuid
            ch.partner = a_leg
            ch.other_type = "originator"
            if a_leg.agent_user:
                ch.cid_name = f"Extension {a_leg.agent_user}"
                ch.cid_number = a_leg.agent_user
        variables.setdefault("originate_endpoint", "sofia")
        variables["sip_profile_name"] = "gateway" if ep.kind == "gateway" else "internal"
        ch.variables = variables
        if outcome.media:
            ch.media_state = MediaState(script=outcome.media)
        self.channels[chan_uuid] = ch
        node.session_started()
        with contextlib.suppress(ValueError):
            timeout_s = int(variables.get("originate_timeout", timeout_s))
        with contextlib.suppress(ValueError):
            # `{leg_timeout=N}` in a bridge string: whole seconds, like originate_timeout (29).
            timeout_s = int(variables.get("leg_timeout", timeout_s))
        # On a plain sofia leg (an agent through the proxy) leg_timeout is switch_ivr_originate's
        # per-leg check, `elapsed > N`: N to N+1 s, ALLOTTED_TIMEOUT (lab: 2.57 s for 2). A user/
        # leg is originated again inside mod_dptools with it as the call timeout (`>=`, 29).
        per_leg = "leg_timeout" in variables and ep.kind == "sofia"
        ignore_early = variables.get("ignore_early_media", "false") == "true"
        ch.fail_cb = on_fail

        self.emit(ch, "CHANNEL_OUTGOING", state="CS_NONE")
        self.set_state(ch, "CS_INIT")
        self.emit(ch, "CHANNEL_CREATE")
        self.emit(ch, "CHANNEL_ORIGINATE")
        self.set_state(ch, "CS_ROUTING")
        self.set_state(ch, "CS_CONSUME_MEDIA")

        up = [False]

        def go_up() -> None:
            if not up[0]:
                up[0] = True
                ch.fail_cb = None
                on_up(ch)

        def fail(cause: str, status: str, disposition: str, timeout: bool = False) -> None:
            ch.network_addr = "127.0.0.1"
            ch.term_status = status
            ch.disposition = disposition
            # Set before CHANNEL_HANGUP, which already carries them (captures 26, 27).
            variables["sip_hangup_disposition"] = disposition
            if not timeout:
                variables["sip_term_status"] = status
                variables["proto_specific_hangup_cause"] = f"sip:{status}"
                variables["sip_invite_failure_status"] = status
            self._fail_leg(ch, cause, on_fail, timeout_order=timeout)

        def ring() -> None:
            ch.progress_at = time.time()
            ch.network_addr = "127.0.0.1"
            self.emit(ch, "CHANNEL_PROGRESS")
            self.set_callstate(ch, "RINGING")

        def early() -> None:
            ch.progress_media_at = time.time()
            ch.network_addr = "127.0.0.1"
            ch.media = True
            self.emit(ch, "CHANNEL_PROGRESS_MEDIA")
            self.set_callstate(ch, "EARLY")
            if not ignore_early:
                go_up()  # the early-media quirk: originate returns before the answer

        def answer() -> None:
            ch.answered_at = time.time()
            ch.network_addr = "127.0.0.1"
            ch.media = True
            ch.answer_state = "answered"
            ch.term_status = "200"
            self.emit(ch, "CHANNEL_ANSWER")
            self.set_callstate(ch, "ACTIVE")
            self.apps.flush_pending_dtmf(ch)
            for key in sorted(k for k in variables if k.startswith("execute_on_answer")):
                app = parse_app_line(variables[key])
                self.apps.exec_inline(ch, app, "execute_on_answer")
            if outcome.hangup_ms is not None:
                self.later(ch, outcome.hangup_ms, lambda: self._far_end_bye(ch))
            go_up()

        def no_answer() -> None:
            if ch.answered_at or ch.hangup_cause:
                return
            if up[0] and not ignore_early:
                return
            fail("ALLOTTED_TIMEOUT" if per_leg else "NO_ANSWER", "487", "send_cancel",
                 timeout=True)

        # switch_ivr_originate.c gives up when `epoch seconds now - at start >= timeout`: a
        # timeout of N ends the ringing between N-1 and N s after the leg started (2.3 s for 3 in
        # capture 11, 4.85 and 4.69 s for leg_timeout=5 in 29 and 29b).
        limit_ms = (int(now) + timeout_s + (1 if per_leg else 0) - now) * 1000
        if outcome.answers:
            if outcome.ring_ms is not None and outcome.ring_ms <= outcome.answer_ms:
                self.later(ch, outcome.ring_ms, ring)
            if outcome.early_media_ms is not None and outcome.early_media_ms <= outcome.answer_ms:
                self.later(ch, outcome.early_media_ms, early)
            if outcome.answer_ms < limit_ms:
                self.later(ch, outcome.answer_ms, answer)
        elif outcome.rings_forever:
            if outcome.ring_ms is not None:
                self.later(ch, outcome.ring_ms, ring)
            if outcome.early_media_ms is not None:
                self.later(ch, outcome.early_media_ms, early)
        else:
            cause = outcome.failure_cause()
            status = outcome.term_status()
            if outcome.ring_ms is not None and outcome.ring_ms < outcome.fail_ms:
                self.later(ch, outcome.ring_ms, ring)
            disposition = "recv_refuse"  # every failure in captures 08-10 and 19
            if outcome.fail_ms < limit_ms:
                self.later(ch, outcome.fail_ms, lambda: fail(cause, status, disposition))
        if proxy_addr is not None:
            self._via_proxy(ch, proxy_addr, number, limit_ms, ring, answer, fail)
        self.later(ch, limit_ms, no_answer)
        return ch

    def _via_proxy(self, ch: Channel, proxy: tuple[str, int], user: str, limit_ms: float,
                   ring: Callable[[], None], answer: Callable[[], None],
                   fail: Callable[[str, str, str], None]) -> None:
        """Send the leg's INVITE to the real proxy on a thread; follow its answer here."""
        loop = self.node.loop

        def on_loop(fn: Callable[[], None]) -> None:
            def guarded() -> None:
                if not ch.hangup_cause and not ch.answered_at:
                    fn()
            loop.call_soon_threadsafe(guarded)

        def work() -> None:
            try:
                reply = ProxyCall(proxy, user).run(limit_ms / 1000, lambda: on_loop(ring))
            except OSError as exc:
                log.warning("INVITE to proxy %s:%s failed: %s", proxy[0], proxy[1], exc)
                on_loop(lambda: fail("NORMAL_TEMPORARY_FAILURE", "503", "recv_refuse"))
                return
            if reply.status and reply.status < 300:
                on_loop(answer)
            elif reply.status:
                on_loop(lambda: fail(reply.cause, str(reply.status), "recv_refuse"))

        threading.Thread(target=work, name=f"proxy-leg-{ch.uuid}", daemon=True).start()
    def phone_died(self, user: str) -> int:
        """The agent's phone process died (kill -9): its live legs get no event at all, until
        the media timeout: `media_timeout` ms from the channel's variables, else the profile's
        RTP timeout (300 s); then CHANNEL_HANGUP `MEDIA_TIMEOUT`, send_bye (capture 50)."""
        legs = [c for c in self.channels.values()
                if c.agent_user == user and c.answered_at and not c.hangup_cause]
        for leg in legs:
            raw = leg.variables.get("media_timeout", "")
            ms = int(raw) if raw.isdigit() and int(raw) > 0 else RTP_TIMEOUT_MS
            self.later(leg, ms + 40, functools.partial(self.hangup, leg, "MEDIA_TIMEOUT"))
        return len(legs)

    def phone_gone(self, reg: Registration) -> None:
        """The phone behind a registration died; dialling the row (while it lingers) gets the
        refused TCP connect's 503 at once (captures 27, 32c)."""
        self._gone = {k: r for k, r in self._gone.items() if r is not reg and k != reg.call_id}
        self._gone[reg.call_id] = reg

    def later(self, ch: Channel, ms: int | float, fn: Callable[[], None]) -> None:
        def run() -> None:
            if not ch.done and not ch.hangup_cause:
                fn()

        ch.timers.append(self.node.loop.call_later(max(ms, 0) / 1000.0, run))

    # -- events ------------------------------------------------------------------------------

    def emit(self, ch: Channel, name: str, *, state: str | None = None, **extra: str) -> None:
        if state is not None:
            ch.state = state
        node = self.node
        node.emit_channel(ch, name, extra)

    def set_callstate(self, ch: Channel, callstate: str) -> None:
        ch.prev_callstate, ch.callstate = ch.callstate, callstate
        self.emit(ch, "CHANNEL_CALLSTATE")

    def set_state(self, ch: Channel, state: str) -> None:
        ch.state = state
        self.emit(ch, "CHANNEL_STATE")

    # -- hangups -----------------------------------------------------------------------------

    def _fail_leg(
        self, ch: Channel, cause: str, on_fail: Callable[[str], None], timeout_order: bool
    ) -> None:
        """A leg that never came up: the orders of files 08-10/19 and of file 11 (timeout)."""
        ch.cancel_timers()
        ch.fail_cb = None
        ch.hangup_cause = cause
        ch.hangup_at = time.time()
        ch.answer_state = "hangup"
        self.emit(ch, "CHANNEL_HANGUP")
        if timeout_order:
            on_fail(cause)
        self.set_state(ch, "CS_HANGUP")
        self.set_callstate(ch, "HANGUP")
        self.set_state(ch, "CS_REPORTING")
        if self.node.cdr.enabled:
            # The CDR modules run in the reporting state; the originate's -ERR does not wait.
            if not timeout_order:
                on_fail(cause)
            self.node.cdr.report(ch, lambda: self._report_done(ch))
            return
        self._emit_hangup_complete(ch)
        if not timeout_order:
            on_fail(cause)
        self._destroy(ch)

    def hangup(self, ch: Channel, cause: str, disposition: str = "send_bye") -> None:
        """Hang up a leg (and the leg bridged to it) with FreeSWITCH's event order (06, 03)."""
        if ch.hangup_cause or ch.done:
            return
        if not ch.answered_at and not ch.progress_media_at:
            # Not up yet: the originate waiting on it fails with this cause.
            ch.disposition = "send_cancel"
            self._fail_pending(ch, cause)
            return
        ch.cancel_timers()
        ch.hangup_cause = cause
        ch.hangup_at = time.time()
        ch.answer_state = "hangup"
        if not ch.disposition:
            ch.disposition = disposition
        self.emit(ch, "CHANNEL_HANGUP")
        partner = ch.partner
        bridged = partner is not None and bool(ch.other_type) and bool(ch.bridged_at)
        ringing: Channel | None = None
        if (partner is not None and not partner.hangup_cause and not ch.is_b_leg and bridged
                and partner.answered_at and _true(partner.variables.get("park_after_bridge"))):
            # An agent session (uuid_bridge to a leg with park_after_bridge): the agent leg
            # parks again in the same millisecond, then the callee's UNBRIDGE and its end
            # (captures 49, 52). Stale variables stay on the agent leg.
            kept = partner
            kept.partner, kept.other_type, kept.is_b_leg = None, "", False
            kept.last_other, kept.history_partner = ch, ch.uuid
            kept.variables["last_bridge_hangup_cause"] = cause
            kept.variables["bridge_hangup_cause"] = cause
            kept.variables["signal_bond"] = ch.uuid
            self.apps.park(kept)
            self.apps.unbridge(ch, kept)
            if ch.current_app is not None:
                self.apps.complete(ch, then_run=False)
            self._finish(ch)
            return
        if partner is not None and not partner.hangup_cause and not ch.is_b_leg:
            # A hangs up: B goes down with it (HANGUP(A), HANGUP(B), UNBRIDGE(A), ...).
            partner.cancel_timers()
            if partner.answered_at or partner.progress_media_at:
                partner.hangup_cause = cause
                partner.hangup_at = ch.hangup_at
                partner.answer_state = "hangup"
                partner.disposition = partner.disposition or "send_bye"
                self.emit(partner, "CHANNEL_HANGUP")
            else:
                # The callee gave up while the agent rang (capture 28): B is CANCELled with
                # ORIGINATOR_CANCEL, A's bridge ends, and B's HANGUP_COMPLETE comes after A's.
                ringing = partner
                self._cancel_ringing(partner, cause)
                partner = None
        if ch.parked:
            ch.parked = False
            self.emit(ch, "CHANNEL_UNPARK")
        if not ch.is_b_leg and bridged and partner is not None:
            self.apps.unbridge(ch, partner)
        if ch.current_app is not None:
            self.apps.complete(ch, then_run=False)
        if not ch.is_b_leg and partner is not None and partner.hangup_cause and not partner.done:
            self._finish(partner)
        if ch.is_b_leg and partner is not None and not partner.hangup_cause:
            # B went away: B's HANGUP_COMPLETE, then A's UNBRIDGE and what A does after a
            # bridge (captures 35, 35b).
            self._finish(ch)
            self.apps.bridge_ended(partner, ch, cause)
            return
        self._finish(ch)
        if ringing is not None:
            self._finish(ringing)

    def _cancel_ringing(self, b: Channel, a_cause: str) -> None:
        """CANCEL a bridge leg that still rings because its A leg hung up (HANGUP only)."""
        callback, b.fail_cb = b.fail_cb, None
        b.hangup_cause = "ORIGINATOR_CANCEL"
        b.hangup_at = time.time()
        b.answer_state = "hangup"
        b.disposition = "send_cancel"
        b.term_status = "487"
        b.variables["last_bridge_hangup_cause"] = a_cause
        self.emit(b, "CHANNEL_HANGUP")
        if callback is not None:
            callback("ORIGINATOR_CANCEL")

    def _fail_pending(self, ch: Channel, cause: str) -> None:
        """Hang up a leg that is still ringing: its originate fails with the cause."""
        callback = ch.fail_cb or (lambda _cause: None)
        self._fail_leg(ch, cause, callback, timeout_order=False)

    def _finish(self, ch: Channel) -> None:
        if ch.done:
            return
        self.set_state(ch, "CS_HANGUP")
        self.set_callstate(ch, "HANGUP")
        self.set_state(ch, "CS_REPORTING")
        if self.node.cdr.enabled:
            # HANGUP_COMPLETE waits for the CDR posts (emulator/cdr.py; fixtures file 42).
            ch.done = True  # no second hangup while the posts run; still in the channel list
            self.node.cdr.report(ch, lambda: self._report_done(ch))
            return
        self._emit_hangup_complete(ch)
        self._destroy(ch)

    def _report_done(self, ch: Channel) -> None:
        self._emit_hangup_complete(ch)
        self._destroy(ch)

    def _emit_hangup_complete(self, ch: Channel) -> None:
        ch.variables.update(ch.cdr_variables(time.time()))
        self.emit(ch, "CHANNEL_HANGUP_COMPLETE")

    def _destroy(self, ch: Channel) -> None:
        for digit in ch.dtmf:
            if ch.hangup_at and digit.played_at > ch.hangup_at:
                digit.dropped = True  # queued, but the leg was gone before it left
        self.emit(ch, "CHANNEL_DESTROY")
        self.set_state(ch, "CS_DESTROY")
        ch.done = True
        ch.cancel_timers()
        if ch.partner is not None:
            ch.history_partner = ch.partner.uuid
        self.channels.pop(ch.uuid, None)
        self.node.session_ended(ch)

    def _far_end_bye(self, ch: Channel) -> None:
        self.far_end_hangup(ch.uuid)

    def far_end_hangup(self, target: str, cause: str = "NORMAL_CLEARING") -> bool:
        """The far end sends BYE."""
        ch = self.channels.get(target)
        if ch is None:
            return False
        ch.disposition = "recv_bye"
        self.hangup(ch, cause, disposition="recv_bye")
        return True

    def kill(self, target: str, cause: str = "NORMAL_CLEARING") -> bool:
        """uuid_kill."""
        ch = self.channels.get(target)
        if ch is None:
            return False
        self.hangup(ch, cause)
        return True

    def hupall(self, cause: str = "NORMAL_CLEARING") -> None:
        """Hang up every channel (A legs first; their B legs follow them)."""
        for ch in sorted(self.channels.values(), key=lambda c: c.is_b_leg):
            if not ch.hangup_cause and not ch.done:
                self.hangup(ch, cause)
