"""Dialplan applications on a channel: park, bridge, send_dtmf, transfer, sendmsg, DTMF queue."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from emulator.channel import Channel, DtmfRecord
from emulator.dialplan import (
    App,
    DialError,
    Endpoint,
    dtmf_schedule,
    last_dtmf_duration,
    parse_dialstring,
    parse_inline,
    split_args,
)
from emulator.media import MEDIA_APPS, Media
from emulator.wire import Command


class AppsNode(Protocol):
    """The node as the applications see it."""

    profiles: tuple[str, ...]
    loop: asyncio.AbstractEventLoop

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


class CallControl(Protocol):
    """What the applications need of the call engine (the engine composes them, not the reverse)."""

    channels: dict[str, Channel]

    @property
    def node(self) -> AppsNode: ...

    def emit(self, ch: Channel, name: str, *, state: str | None = None, **extra: str) -> None: ...

    def later(self, ch: Channel, ms: int | float, fn: Callable[[], None]) -> None: ...

    def set_state(self, ch: Channel, state: str) -> None: ...

    def hangup(self, ch: Channel, cause: str, disposition: str = "send_bye") -> None: ...

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
    ) -> Channel | None: ...


_BRIDGE_TIMEOUT_S = 60
UUID_BRIDGE_UNPARK_MS = 20  # uuid_bridge: UNPARK +21 ms, CHANNEL_BRIDGE +61 ms (35b, 49-53)
UUID_BRIDGE_MS = 60

# switch_ivr_originate.c: DIALSTATUS for the causes it names; any other is the cause itself.
DIALSTATUS = {
    "ORIGINATOR_CANCEL": "CANCEL", "USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER",
    "DESTINATION_OUT_OF_ORDER": "INVALIDARGS", "INVALID_PROFILE": "INVALIDARGS",
    "CALL_REJECTED": "DONTCALL",
}  # fmt: skip

# switch_types.h cause numbers, which continue_on_fail / failure_causes lists may use.
CAUSE_NUMBERS = {
    "UNALLOCATED_NUMBER": 1, "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21,
    "DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "NORMAL_UNSPECIFIED": 31,
    "NORMAL_TEMPORARY_FAILURE": 41, "CHAN_NOT_IMPLEMENTED": 66, "RECOVERY_ON_TIMER_EXPIRE": 102,
    "ORIGINATOR_CANCEL": 487, "SYSTEM_SHUTDOWN": 701, "USER_NOT_REGISTERED": 806,
    "INVALID_GATEWAY": 808, "INVALID_PROFILE": 811,
}  # fmt: skip

# "no answer is *always* a reason to continue" when neither list is set.
_ALWAYS_CONTINUE = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"})


def playback_ms(arg: str) -> int | None:
    """How long `playback` plays: a tone_stream's `%(on,off,...)` segments times `loops`
    (2.0 s for `%(500,500,480,620);loops=2`, capture 29b); files and others take no time here;
    None for `loops=-1`."""
    if not arg.startswith("tone_stream://"):
        return 0
    spec, _, options = arg[len("tone_stream://") :].partition(";")
    total = 0
    for on, off in re.findall(r"%\((\d+),(\d+)", spec):
        total += int(on) + int(off)
    loops = 1
    m = re.search(r"loops=(-?\d+)", options + ";" + spec)
    if m:
        loops = int(m.group(1))
    if loops < 0:
        return None
    return total * max(loops, 1)


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")


def _listed(cause: str, items: str) -> bool:
    number = str(CAUSE_NUMBERS.get(cause, ""))
    names = {i.strip().upper() for i in items.split(",") if i.strip()}
    return cause in names or (bool(number) and number in names)


def hangs_up_on(variables: dict[str, str], cause: str) -> bool:
    """switch_channel_handle_cause(): does a failed bridge hang its A leg up with `cause`?

    continue_on_fail=true (or a list naming the cause) goes on; failure_causes is its opposite
    (only the listed causes hang up). With neither set, NO_ANSWER, NO_USER_RESPONSE and
    ORIGINATOR_CANCEL go on and every other cause hangs up (captures 26, 27, 29, 33).
    """
    continue_on_fail = variables.get("continue_on_fail")
    failure_causes = variables.get("failure_causes")
    if continue_on_fail is None and failure_causes is None:
        return cause not in _ALWAYS_CONTINUE
    if failure_causes is not None and not _listed(cause, failure_causes):
        return False
    listed = continue_on_fail is not None and (
        _true(continue_on_fail) or _listed(cause, continue_on_fail)
    )
    return not listed


class Applications:
    """What runs on answered channels; the call engine owns the legs and their hangups."""

    def __init__(self, calls: CallControl) -> None:
        self.calls = calls
        self.media = Media(self)

    # -- the media applications' host (emulator.media.MediaHost) -----------------------------

    def emit(self, ch: Channel, name: str, *, state: str | None = None, **extra: str) -> None:
        self.calls.emit(ch, name, state=state, **extra)

    def later(self, ch: Channel, ms: int | float, fn: Callable[[], None]) -> None:
        self.calls.later(ch, ms, fn)

    def fire(
        self, name: str, headers: list[tuple[str, str]], *, subclass: str = "",
        seq: int | None = None, stamp: float | None = None,
    ) -> tuple[int, float]:
        """A non-channel event (DETECTED_TONE, avmd::*); returns its sequence and time."""
        node = self.calls.node
        stamp = time.time() if stamp is None else stamp
        node.emit(name, lambda: headers, subclass=subclass, seq=seq, stamp=stamp)
        return (node.seq if seq is None else seq), stamp

    def complete_media(self, ch: Channel, app_uuid: str) -> None:
        self._complete_if(ch, app_uuid)

    def run_next(self, ch: Channel) -> None:
        if ch.done or ch.hangup_cause or ch.current_app is not None:
            return
        if not ch.apps:
            self.calls.hangup(ch, "NORMAL_CLEARING")  # the dialplan ran out
            return
        app, app_uuid = ch.apps.pop(0)
        self._start(ch, app, app_uuid or str(uuid.uuid4()))

    def _start(self, ch: Channel, app: App, app_uuid: str) -> None:
        ch.current_app = app
        ch.current_app_uuid = app_uuid
        ch.variables["current_application"] = app.name
        self.calls.emit(ch, "CHANNEL_EXECUTE", **_app_headers(app, app_uuid))
        name = app.name
        if name == "park":
            ch.parked = True
            self.calls.emit(ch, "CHANNEL_PARK")
            self.media.on_park(ch)
        elif name in MEDIA_APPS:
            self.media.start(ch, name, app.arg, app_uuid)
        elif name == "bridge":
            self._bridge(ch, app.arg)
        elif name == "send_dtmf":
            self.queue_dtmf(ch, app.arg, "send_dtmf")
            self.complete(ch)
        elif name == "sleep":
            ms = int(app.arg) if app.arg.strip().isdigit() else 0
            self.calls.later(ch, ms, lambda: self._complete_if(ch, app_uuid))
        elif name == "hangup":
            self.calls.hangup(ch, (app.arg or "NORMAL_CLEARING").upper())
        elif name in ("set", "export"):
            var, _, value = app.arg.partition("=")
            if var:
                ch.variables[var.strip()] = value
            self.complete(ch)
        elif name == "transfer":
            self.complete(ch, then_run=False)
            self._transfer_to(ch, app.arg)
        elif name == "playback":
            play_ms = playback_ms(app.arg)
            if play_ms is not None:  # None: loops=-1, it plays until something ends it
                self.calls.later(
                    ch, play_ms, lambda: self._complete_if(ch, app_uuid, "FILE PLAYED")
                )
        else:
            self.complete(ch)

    def _complete_if(self, ch: Channel, app_uuid: str, response: str = "_none_") -> None:
        """A timed app ends, unless a transfer or hangup already ended it (its timer is stale)."""
        if ch.current_app is not None and ch.current_app_uuid == app_uuid:
            self.complete(ch, response)

    def complete(self, ch: Channel, response: str = "_none_", then_run: bool = True) -> None:
        app = ch.current_app
        if app is None:
            return
        extra = _app_headers(app, ch.current_app_uuid)
        extra["Application-Response"] = response
        self.calls.emit(ch, "CHANNEL_EXECUTE_COMPLETE", **_app_order(extra))
        ch.last_app = app.name
        ch.current_app = None
        ch.current_app_uuid = ""
        if then_run:
            self.run_next(ch)

    def exec_inline(self, ch: Channel, app: App, source: str, app_uuid: str = "") -> None:
        """Run a short app beside whatever runs (execute_on_answer, sendmsg): EXECUTE, COMPLETE."""
        app_uuid = app_uuid or str(uuid.uuid4())
        headers = _app_headers(app, app_uuid)
        self.calls.emit(ch, "CHANNEL_EXECUTE", **headers)
        if app.name == "send_dtmf":
            self.queue_dtmf(ch, app.arg, source)
        elif app.name in ("set", "export"):
            var, _, value = app.arg.partition("=")
            if var:
                ch.variables[var.strip()] = value
        elif app.name == "hangup":
            self.calls.hangup(ch, (app.arg or "NORMAL_CLEARING").upper())
            return
        response = "FILE PLAYED" if app.name == "playback" else "_none_"
        done = dict(headers)
        done["Application-Response"] = response
        self.calls.emit(ch, "CHANNEL_EXECUTE_COMPLETE", **_app_order(done))

    def _transfer_to(self, ch: Channel, arg: str) -> None:
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
        self.run_next(ch)

    def transfer(self, target: str, arg: str) -> bool:
        """uuid_transfer: end the current app (park), then run the new destination."""
        ch = self.calls.channels.get(target)
        if ch is None or ch.hangup_cause:
            return False
        partner = ch.partner
        if partner is not None and ch.other_type:
            # Bridged: the other leg is hung up; A leaves its bridge for the new destination.
            self.unbridge(ch, partner)
            ch.last_other, ch.last_other_type = partner, ch.other_type
            ch.partner, ch.other_type = None, ""
            partner.last_other, partner.last_other_type = ch, partner.other_type
            partner.partner, partner.other_type = None, ""
            ch.variables["last_bridge_hangup_cause"] = "NORMAL_CLEARING"
            self.calls.hangup(partner, "NORMAL_CLEARING")
        elif partner is not None and not partner.hangup_cause:
            # Still ringing: the transfer cancels that originate (its callback must not run
            # A's old plan on).
            ch.partner = None
            partner.fail_cb = None
            partner.last_other, partner.last_other_type = ch, partner.other_type
            partner.partner = None
            self.calls.hangup(partner, "ORIGINATOR_CANCEL")
            ch.variables["originate_disposition"] = "ORIGINATOR_CANCEL"
            ch.variables["DIALSTATUS"] = "CANCEL"
            ch.variables["originate_failed_cause"] = "ORIGINATOR_CANCEL"
        if ch.parked:
            ch.parked = False
            self.calls.emit(ch, "CHANNEL_UNPARK")
        self.complete(ch, then_run=False)
        self._transfer_to(ch, arg)
        return True

    def _bridge(self, a: Channel, dial: str) -> None:
        # What bridge sets before it dials; a hang-up meanwhile still shows these (capture 28).
        a.variables["originate_disposition"] = "failure"
        a.variables["DIALSTATUS"] = "INVALIDARGS"
        try:
            ep = parse_dialstring(dial, self.calls.node.profiles)
        except DialError as exc:
            self._bridge_failed(a, exc.cause, None)
            return
        legs: list[Channel] = []

        def on_up(b: Channel) -> None:
            if b.hangup_cause or b.done:
                return
            if a.hangup_cause:
                self.calls.hangup(b, "ORIGINATOR_CANCEL")
                return
            self.calls.set_state(b, "CS_EXCHANGE_MEDIA")
            now = time.time()
            a.bridged_at = b.bridged_at = now
            a.partner, a.other_type = b, "originatee"
            a.variables["bridge_uuid"] = b.uuid
            # A success resets these two only: originate_failed_cause and
            # last_bridge_hangup_cause keep an earlier failure's values (capture 35).
            a.variables["originate_disposition"] = "SUCCESS"
            a.variables["DIALSTATUS"] = "SUCCESS"
            self.calls.emit(
                a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
            )

        def on_fail(cause: str) -> None:
            a.partner = None
            self._bridge_failed(a, cause, legs[0] if legs else None)

        b = self.calls.place_leg(ep, a.context, _BRIDGE_TIMEOUT_S, on_up, on_fail, a_leg=a)
        if b is not None:
            legs.append(b)
            if not b.hangup_cause:
                a.partner = b
                a.other_type = ""

    def _bridge_failed(self, a: Channel, cause: str, b: Channel | None) -> None:
        """The bridge's B leg failed: record why, then hang A up or go on (handle_cause)."""
        v = a.variables
        v["originate_disposition"] = cause
        v["DIALSTATUS"] = DIALSTATUS.get(cause, cause)
        v["originate_failed_cause"] = cause
        if b is not None and cause != "ORIGINATOR_CANCEL":
            # Only a B leg that existed and failed sets these (absent in 28 and 33).
            v["last_bridge_hangup_cause"] = cause
            status = b.variables.get("sip_term_status", "")
            if status:
                v["last_bridge_proto_specific_hangup_cause"] = f"sip:{status}"
                v["sip_invite_failure_status"] = status
            v["originate_causes"] = f"{b.uuid};{cause}"
        if a.hangup_cause or a.current_app is None:
            return
        if hangs_up_on(v, cause):
            # CHANNEL_HANGUP with the B cause before EXECUTE_COMPLETE bridge (26, 27, 33).
            self.calls.hangup(a, cause)
        else:
            self.complete(a)  # the plan goes on (29, 29b, 35)

    def bridge_ended(self, a: Channel, b: Channel, cause: str) -> None:
        """A's answered bridge partner hung up: UNBRIDGE, then park, hang up or go on."""
        if a.bridged_at and a.other_type:
            self.unbridge(a, b)
        a.history_partner = b.uuid
        a.last_other, a.last_other_type = b, a.other_type or "originatee"
        a.partner = None
        a.other_type = ""
        a.variables["last_bridge_hangup_cause"] = cause
        a.variables["bridge_hangup_cause"] = cause
        app = a.current_app
        park_after = _true(a.variables.get("park_after_bridge", ""))
        if app is not None and app.name == "bridge":
            if park_after:
                self.complete(a, then_run=False)
                self.park(a)
            elif _true(a.variables.get("hangup_after_bridge", "")):
                self.calls.hangup(a, cause)
            else:
                self.complete(a)
        elif park_after:
            self.park(a)  # after uuid_bridge (capture 35b)
        else:
            self.run_next(a)

    def park(self, ch: Channel) -> None:
        """park_after_bridge: CHANNEL_PARK without an application (captures 35, 35b)."""
        ch.parked = True
        self.calls.set_state(ch, "CS_PARK")
        self.calls.emit(ch, "CHANNEL_PARK")
        self.media.on_park(ch)

    def uuid_bridge(self, a_uuid: str, b_uuid: str) -> str:
        """uuid_bridge: join two live, answered legs (captures 35b, 49-53).

        The `+OK` goes out at once, before anything about the bridge is done; UNPARK and the
        end of park follow about 20 ms later, EXECUTE `uuid_bridge` on both legs and
        CHANNEL_BRIDGE (on the first uuid only) about 60 ms after the command."""
        a, b = self.calls.channels.get(a_uuid), self.calls.channels.get(b_uuid)
        if a is None or b is None or a.hangup_cause or b.hangup_cause:
            return "-ERR Invalid uuid\n" if a is None else "-ERR no such channel\n"
        old = b.partner if b.partner is not None and b.other_type and b.bridged_at else None
        a.partner, a.other_type = b, "originatee"
        b.partner, b.other_type = a, "originator"
        b.is_b_leg = True
        if old is not None and old is not a and not old.hangup_cause:
            # The agent leg was already bridged: not refused; its first callee is dropped and
            # hung up, the new one takes the agent (capture 53).
            old.partner, old.other_type, old.last_other = None, "", b
            self.unbridge(old, b)
            self.calls.hangup(old, "NORMAL_CLEARING")

        def unpark() -> None:
            for ch in (a, b):
                if ch.parked:
                    ch.parked = False
                    self.calls.emit(ch, "CHANNEL_UNPARK")
                self.complete(ch, then_run=False)

        def bridged() -> None:
            if a.hangup_cause or b.hangup_cause:
                return
            for ch, other in ((a, b), (b, a)):
                # No EXECUTE_COMPLETE follows these: uuid_bridge is not an application here.
                ch.state = "CS_SOFT_EXECUTE"
                extra = {"Application": "uuid_bridge", "Application-Data": other.uuid}
                self.calls.emit(ch, "CHANNEL_EXECUTE", **extra)
            now = time.time()
            a.bridged_at = b.bridged_at = now
            self.calls.emit(
                a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
            )

        self.calls.later(a, UUID_BRIDGE_UNPARK_MS, unpark)
        self.calls.later(a, UUID_BRIDGE_MS, bridged)
        return f"+OK {b.uuid}\n"

    def unbridge(self, a: Channel, b: Channel) -> None:
        self.calls.emit(
            a, "CHANNEL_UNBRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
        )

    def queue_dtmf(self, ch: Channel, data: str, source: str, default_ms: int = 250) -> None:
        """Queue digits: the caller goes on at once; they leave from answer on, one by one,
        after whatever is already queued (capture 34); the log records when each really left."""
        if not ch.answered_at:
            ch.pending_dtmf.append((data, source, default_ms))
            return
        start = max(time.time(), ch.answered_at, ch.dtmf_free_at)
        tones, length_ms = dtmf_schedule(data, default_ms)
        for tone in tones:
            played = start + tone.offset_ms / 1000.0
            ch.dtmf.append(DtmfRecord(tone.digit, played, tone.duration_ms, source))
        ch.dtmf_free_at = start + length_ms / 1000.0
        if tones:
            ch.variables["last_dtmf_duration"] = str(last_dtmf_duration(data, default_ms))
            self.media.reschedule(ch)  # an attendant waiting for digits moves on

    def flush_pending_dtmf(self, ch: Channel) -> None:
        pending, ch.pending_dtmf = ch.pending_dtmf, []
        for data, source, ms in pending:
            self.queue_dtmf(ch, data, source, ms)

    def sendmsg(self, target: str, cmd: Command) -> bool:
        """sendmsg <uuid>: execute an app now (beside park) or hang up."""
        ch = self.calls.channels.get(target)
        if ch is None or ch.hangup_cause:
            return False
        command = (cmd.header("call-command") or "execute").lower()
        if command == "hangup":
            cause = (cmd.header("hangup-cause") or "NORMAL_CLEARING").upper()
            self.calls.node.loop.call_soon(self.calls.hangup, ch, cause)
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
                self.exec_inline(ch, App(name, arg), "sendmsg", app_uuid)

        # The +OK goes out first; the app runs when the session next parses its messages.
        self.calls.node.loop.call_soon(run)
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
