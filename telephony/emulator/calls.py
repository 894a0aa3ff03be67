"""The call engine: originate, far-end scripts, applications, bridges, DTMF and hangups."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from telephony.emulator.channel import Channel, DtmfRecord
from telephony.emulator.dialplan import (
    ORIGINATE_USAGE,
    App,
    DialError,
    Endpoint,
    dtmf_schedule,
    parse_app_line,
    parse_app_spec,
    parse_dialstring,
    parse_inline,
    split_args,
)
from telephony.emulator.outcomes import Outcome
from telephony.emulator.wire import Command

if TYPE_CHECKING:
    from telephony.emulator.node import Node

Done = Callable[[str], None]

_DEFAULT_TIMEOUT_S = 60


class CallEngine:
    """Every channel of one node and what happens to it."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.channels: dict[str, Channel] = {}

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
            self._set_state(ch, "CS_EXECUTE")
            ch.hit_dialplan = True
            self._run_next_app(ch)

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
        if ep.kind == "user":
            reg = node.find_registration(ep.target, ep.host)
            if reg is None:
                on_fail("USER_NOT_REGISTERED")
                return None
        chan_uuid = variables.get("origination_uuid") or str(uuid.uuid4())
        if chan_uuid in self.channels or not node.admit_session():
            # Duplicate UUID, over max-sessions or over sessions-per-second: no channel events.
            on_fail("DESTINATION_OUT_OF_ORDER")
            return None
        now = time.time()
        if reg is not None:
            name = f"sofia/internal/{reg.user}@{reg.contact_ip}:{reg.contact_port}"
            number = reg.user
            outcome = Outcome(
                kind="answer", ring_ms=10, answer_ms=reg.answer_ms or node.agent_answer_ms
            )
        else:
            if ep.kind == "gateway":
                name = f"sofia/gateway/{ep.gateway}/{ep.target}"
            else:
                name = f"sofia/{ep.profile}/{ep.target}@{ep.host}" if ep.host else ep.raw
            number = ep.target
            outcome = node.outcomes.lookup(number)
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
        variables["sip_profile_name"] = "internal"
        ch.variables = variables
        self.channels[chan_uuid] = ch
        node.session_started()
        with contextlib.suppress(ValueError):
            timeout_s = int(variables.get("originate_timeout", timeout_s))
        ignore_early = variables.get("ignore_early_media", "false") == "true"
        ch.fail_cb = on_fail

        self._emit(ch, "CHANNEL_OUTGOING", state="CS_NONE")
        self._set_state(ch, "CS_INIT")
        self._emit(ch, "CHANNEL_CREATE")
        self._emit(ch, "CHANNEL_ORIGINATE")
        self._set_state(ch, "CS_ROUTING")
        self._set_state(ch, "CS_CONSUME_MEDIA")

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
            self._fail_leg(ch, cause, on_fail, timeout_order=timeout)

        def ring() -> None:
            ch.progress_at = time.time()
            ch.network_addr = "127.0.0.1"
            self._emit(ch, "CHANNEL_PROGRESS")
            self._set_callstate(ch, "RINGING")

        def early() -> None:
            ch.progress_media_at = time.time()
            ch.network_addr = "127.0.0.1"
            ch.media = True
            self._emit(ch, "CHANNEL_PROGRESS_MEDIA")
            self._set_callstate(ch, "EARLY")
            if not ignore_early:
                go_up()  # the early-media quirk: originate returns before the answer

        def answer() -> None:
            ch.answered_at = time.time()
            ch.network_addr = "127.0.0.1"
            ch.media = True
            ch.answer_state = "answered"
            ch.term_status = "200"
            self._emit(ch, "CHANNEL_ANSWER")
            self._set_callstate(ch, "ACTIVE")
            self._flush_pending_dtmf(ch)
            for key in sorted(k for k in variables if k.startswith("execute_on_answer")):
                app = parse_app_line(variables[key])
                self._exec_inline(ch, app, "execute_on_answer")
            if outcome.hangup_ms is not None:
                self._later(ch, outcome.hangup_ms, lambda: self._far_end_bye(ch))
            go_up()

        def no_answer() -> None:
            if ch.answered_at or ch.hangup_cause:
                return
            if up[0] and not ignore_early:
                return
            fail("NO_ANSWER", "487", "send_cancel", timeout=True)

        if outcome.answers:
            if outcome.ring_ms is not None and outcome.ring_ms <= outcome.answer_ms:
                self._later(ch, outcome.ring_ms, ring)
            if outcome.early_media_ms is not None and outcome.early_media_ms <= outcome.answer_ms:
                self._later(ch, outcome.early_media_ms, early)
            if outcome.answer_ms < timeout_s * 1000:
                self._later(ch, outcome.answer_ms, answer)
        elif outcome.rings_forever:
            if outcome.ring_ms is not None:
                self._later(ch, outcome.ring_ms, ring)
            if outcome.early_media_ms is not None:
                self._later(ch, outcome.early_media_ms, early)
        else:
            cause = outcome.failure_cause()
            status = outcome.term_status()
            if outcome.ring_ms is not None and outcome.ring_ms < outcome.fail_ms:
                self._later(ch, outcome.ring_ms, ring)
            disposition = "recv_refuse"  # every failure in captures 08-10 and 19
            if outcome.fail_ms < timeout_s * 1000:
                self._later(ch, outcome.fail_ms, lambda: fail(cause, status, disposition))
        self._later(ch, timeout_s * 1000, no_answer)
        return ch

    def _later(self, ch: Channel, ms: int | float, fn: Callable[[], None]) -> None:
        def run() -> None:
            if not ch.done and not ch.hangup_cause:
                fn()

        ch.timers.append(self.node.loop.call_later(max(ms, 0) / 1000.0, run))

    # -- events ------------------------------------------------------------------------------

    def _emit(self, ch: Channel, name: str, *, state: str | None = None, **extra: str) -> None:
        if state is not None:
            ch.state = state
        node = self.node
        node.emit_channel(ch, name, extra)

    def _set_callstate(self, ch: Channel, callstate: str) -> None:
        ch.prev_callstate, ch.callstate = ch.callstate, callstate
        self._emit(ch, "CHANNEL_CALLSTATE")

    def _set_state(self, ch: Channel, state: str) -> None:
        ch.state = state
        self._emit(ch, "CHANNEL_STATE")

    # -- applications ------------------------------------------------------------------------

    def _run_next_app(self, ch: Channel) -> None:
        if ch.done or ch.hangup_cause or ch.current_app is not None:
            return
        if not ch.apps:
            self.hangup(ch, "NORMAL_CLEARING")  # the dialplan ran out
            return
        app, app_uuid = ch.apps.pop(0)
        self._start_app(ch, app, app_uuid or str(uuid.uuid4()))

    def _start_app(self, ch: Channel, app: App, app_uuid: str) -> None:
        ch.current_app = app
        ch.current_app_uuid = app_uuid
        ch.variables["current_application"] = app.name
        self._emit(ch, "CHANNEL_EXECUTE", **_app_headers(app, app_uuid))
        name = app.name
        if name == "park":
            ch.parked = True
            self._emit(ch, "CHANNEL_PARK")
        elif name == "bridge":
            self._bridge(ch, app.arg)
        elif name == "send_dtmf":
            self.queue_dtmf(ch, app.arg, "send_dtmf")
            self._complete_app(ch)
        elif name == "sleep":
            ms = int(app.arg) if app.arg.strip().isdigit() else 0
            self._later(ch, ms, lambda: self._complete_app(ch))
        elif name == "hangup":
            self.hangup(ch, (app.arg or "NORMAL_CLEARING").upper())
        elif name in ("set", "export"):
            var, _, value = app.arg.partition("=")
            if var:
                ch.variables[var.strip()] = value
            self._complete_app(ch)
        elif name == "transfer":
            self._complete_app(ch, then_run=False)
            self._transfer(ch, app.arg)
        else:
            self._complete_app(ch)

    def _complete_app(self, ch: Channel, response: str = "_none_", then_run: bool = True) -> None:
        app = ch.current_app
        if app is None:
            return
        extra = _app_headers(app, ch.current_app_uuid)
        extra["Application-Response"] = response
        self._emit(ch, "CHANNEL_EXECUTE_COMPLETE", **_app_order(extra))
        ch.last_app = app.name
        ch.current_app = None
        ch.current_app_uuid = ""
        if then_run:
            self._run_next_app(ch)

    def _exec_inline(self, ch: Channel, app: App, source: str, app_uuid: str = "") -> None:
        """Run a short app beside whatever runs (execute_on_answer, sendmsg): EXECUTE, COMPLETE."""
        app_uuid = app_uuid or str(uuid.uuid4())
        headers = _app_headers(app, app_uuid)
        self._emit(ch, "CHANNEL_EXECUTE", **headers)
        if app.name == "send_dtmf":
            self.queue_dtmf(ch, app.arg, source)
        elif app.name in ("set", "export"):
            var, _, value = app.arg.partition("=")
            if var:
                ch.variables[var.strip()] = value
        elif app.name == "hangup":
            self.hangup(ch, (app.arg or "NORMAL_CLEARING").upper())
            return
        response = "FILE PLAYED" if app.name == "playback" else "_none_"
        done = dict(headers)
        done["Application-Response"] = response
        self._emit(ch, "CHANNEL_EXECUTE_COMPLETE", **_app_order(done))

    def _transfer(self, ch: Channel, arg: str) -> None:
        parts = split_args(arg)
        dest = parts[0] if parts else ""
        dialplan = parts[1] if len(parts) > 1 else "XML"
        apps = parse_inline(dest) if dialplan == "inline" else [App("park")]
        ch.apps = [(a, "") for a in apps]
        ch.dialplan = dialplan
        ch.transfer_at = time.time()
        ch.variables["transfer_history"] = (
            f"{int(ch.transfer_at)}:{uuid.uuid4()}:bl_xfer:{dest}/{ch.context}/{dialplan}"
        )
        self._run_next_app(ch)

    def transfer(self, target: str, arg: str) -> bool:
        """uuid_transfer: end the current app (park), then run the new destination."""
        ch = self.channels.get(target)
        if ch is None or ch.hangup_cause:
            return False
        partner = ch.partner if ch.other_type else None
        if partner is not None:
            self._unbridge(ch, partner)
            self.hangup(partner, "NORMAL_CLEARING")
        if ch.parked:
            ch.parked = False
            self._emit(ch, "CHANNEL_UNPARK")
        self._complete_app(ch, then_run=False)
        self._transfer(ch, arg)
        return True

    # -- bridges -----------------------------------------------------------------------------

    def _bridge(self, a: Channel, dial: str) -> None:
        try:
            ep = parse_dialstring(dial, self.node.profiles)
        except DialError as exc:
            self._bridge_failed(a, exc.cause)
            return

        def on_up(b: Channel) -> None:
            if b.hangup_cause or b.done:
                return
            if a.hangup_cause:
                self.hangup(b, "ORIGINATOR_CANCEL")
                return
            self._set_state(b, "CS_EXCHANGE_MEDIA")
            now = time.time()
            a.bridged_at = b.bridged_at = now
            a.partner, a.other_type = b, "originatee"
            a.variables["bridge_uuid"] = b.uuid
            self._emit(
                a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
            )

        def on_fail(cause: str) -> None:
            a.partner = None
            self._bridge_failed(a, cause)

        b = self.place_leg(ep, a.context, _DEFAULT_TIMEOUT_S, on_up, on_fail, a_leg=a)
        if b is not None and not b.hangup_cause:
            a.partner = b
            a.other_type = ""

    def _bridge_failed(self, a: Channel, cause: str) -> None:
        a.variables["originate_disposition"] = cause
        if a.hangup_cause or a.current_app is None:
            return
        self._complete_app(a, then_run=False)
        if a.apps:
            self._run_next_app(a)
        else:
            self.hangup(a, cause)

    def uuid_bridge(self, a_uuid: str, b_uuid: str) -> str:
        """uuid_bridge: join two live, answered legs."""
        a, b = self.channels.get(a_uuid), self.channels.get(b_uuid)
        if a is None or b is None or a.hangup_cause or b.hangup_cause:
            return "-ERR Invalid uuid\n" if a is None else "-ERR no such channel\n"
        for ch in (a, b):
            if ch.parked:
                ch.parked = False
                self._emit(ch, "CHANNEL_UNPARK")
            self._complete_app(ch, then_run=False)
        now = time.time()
        a.bridged_at = b.bridged_at = now
        a.partner, a.other_type = b, "originatee"
        b.partner, b.other_type = a, "originator"
        b.is_b_leg = True
        self._emit(
            a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
        )
        return f"+OK {b.uuid}\n"

    def _unbridge(self, a: Channel, b: Channel) -> None:
        self._emit(
            a, "CHANNEL_UNBRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
        )

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
        self._emit(ch, "CHANNEL_HANGUP")
        if timeout_order:
            on_fail(cause)
        self._set_state(ch, "CS_HANGUP")
        self._set_callstate(ch, "HANGUP")
        self._set_state(ch, "CS_REPORTING")
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
        self._emit(ch, "CHANNEL_HANGUP")
        partner = ch.partner
        bridged = partner is not None and bool(ch.other_type) and bool(ch.bridged_at)
        if partner is not None and not partner.hangup_cause and not ch.is_b_leg:
            # A hangs up: B goes down with it (HANGUP(A), HANGUP(B), UNBRIDGE(A), ...).
            partner.cancel_timers()
            if partner.answered_at or partner.progress_media_at:
                partner.hangup_cause = cause
                partner.hangup_at = ch.hangup_at
                partner.answer_state = "hangup"
                partner.disposition = partner.disposition or "send_bye"
                self._emit(partner, "CHANNEL_HANGUP")
            else:
                self._fail_pending(partner, "ORIGINATOR_CANCEL")
                partner = None
        if ch.parked:
            ch.parked = False
            self._emit(ch, "CHANNEL_UNPARK")
        if not ch.is_b_leg and bridged and partner is not None:
            self._unbridge(ch, partner)
        if ch.current_app is not None:
            self._complete_app(ch, then_run=False)
        if not ch.is_b_leg and partner is not None and partner.hangup_cause and not partner.done:
            self._finish(partner)
        if ch.is_b_leg and partner is not None and not partner.hangup_cause:
            # B went away: A's bridge ends and A moves on (UNBRIDGE, EXECUTE_COMPLETE bridge).
            if partner.bridged_at and partner.other_type:
                self._unbridge(partner, ch)
            self._finish(ch)
            partner.history_partner = ch.uuid
            partner.partner = None
            partner.other_type = ""
            partner.variables["last_bridge_hangup_cause"] = cause
            app = partner.current_app
            if app is not None and app.name == "bridge":
                self._complete_app(partner)
            elif app is None:
                self.hangup(partner, "NORMAL_CLEARING")  # uuid_bridge: the other side goes too
            return
        self._finish(ch)

    def _fail_pending(self, ch: Channel, cause: str) -> None:
        """Hang up a leg that is still ringing: its originate fails with the cause."""
        callback = ch.fail_cb or (lambda _cause: None)
        self._fail_leg(ch, cause, callback, timeout_order=False)

    def _finish(self, ch: Channel) -> None:
        if ch.done:
            return
        self._set_state(ch, "CS_HANGUP")
        self._set_callstate(ch, "HANGUP")
        self._set_state(ch, "CS_REPORTING")
        self._emit_hangup_complete(ch)
        self._destroy(ch)

    def _emit_hangup_complete(self, ch: Channel) -> None:
        ch.variables.update(ch.cdr_variables(time.time()))
        self._emit(ch, "CHANNEL_HANGUP_COMPLETE")

    def _destroy(self, ch: Channel) -> None:
        self._emit(ch, "CHANNEL_DESTROY")
        self._set_state(ch, "CS_DESTROY")
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

    # -- DTMF --------------------------------------------------------------------------------

    def queue_dtmf(self, ch: Channel, data: str, source: str, default_ms: int = 250) -> None:
        """Queue digits; they play from answer on, after whatever is already queued."""
        if not ch.answered_at:
            ch.pending_dtmf.append((data, source, default_ms))
            return
        start = max(time.time(), ch.answered_at, ch.dtmf_free_at)
        end = start
        for tone in dtmf_schedule(data, default_ms):
            played = start + tone.offset_ms / 1000.0
            ch.dtmf.append(DtmfRecord(tone.digit, played, tone.duration_ms, source))
            end = played + tone.duration_ms / 1000.0
        ch.dtmf_free_at = end

    def _flush_pending_dtmf(self, ch: Channel) -> None:
        pending, ch.pending_dtmf = ch.pending_dtmf, []
        for data, source, ms in pending:
            self.queue_dtmf(ch, data, source, ms)

    # -- sendmsg -----------------------------------------------------------------------------

    def sendmsg(self, target: str, cmd: Command) -> bool:
        """sendmsg <uuid>: execute an app now (beside park) or hang up."""
        ch = self.channels.get(target)
        if ch is None or ch.hangup_cause:
            return False
        command = (cmd.header("call-command") or "execute").lower()
        if command == "hangup":
            cause = (cmd.header("hangup-cause") or "NORMAL_CLEARING").upper()
            self.node.loop.call_soon(self.hangup, ch, cause)
            return True
        if command != "execute":
            return True
        name = cmd.header("execute-app-name") or ""
        arg = cmd.header("execute-app-arg") or ""
        if not arg and cmd.body and (cmd.header("content-type") or "").startswith("text/plain"):
            arg = cmd.body
        app_uuid = cmd.header("event-uuid") or ""
        loops = cmd.header("loops") or "1"
        count = int(loops) if loops.isdigit() else 1

        def run() -> None:
            for _ in range(max(count, 1)):
                if ch.hangup_cause:
                    return
                self._exec_inline(ch, App(name, arg), "sendmsg", app_uuid)

        # The +OK goes out first; the app runs when the session next parses its messages.
        self.node.loop.call_soon(run)
        return True


def _app_headers(app: App, app_uuid: str) -> dict[str, str]:
    out = {"Application": app.name}
    if app.arg:
        out["Application-Data"] = app.arg  # FreeSWITCH leaves it out when empty (`park`)
    out["Application-UUID"] = app_uuid
    return out


def _app_order(headers: dict[str, str]) -> dict[str, str]:
    order = ("Application", "Application-Data", "Application-Response", "Application-UUID")
    return {k: headers[k] for k in order if k in headers}
