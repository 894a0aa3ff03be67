"""Dialplan applications on a channel: park, bridge, send_dtmf, transfer, sendmsg, DTMF queue."""

from __future__ import annotations

import asyncio
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
    parse_dialstring,
    parse_inline,
    split_args,
)
from emulator.wire import Command


class AppsNode(Protocol):
    """The node as the applications see it."""

    profiles: tuple[str, ...]
    loop: asyncio.AbstractEventLoop


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


class Applications:
    """What runs on answered channels; the call engine owns the legs and their hangups."""

    def __init__(self, calls: CallControl) -> None:
        self.calls = calls

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
        elif name == "bridge":
            self._bridge(ch, app.arg)
        elif name == "send_dtmf":
            self.queue_dtmf(ch, app.arg, "send_dtmf")
            self.complete(ch)
        elif name == "sleep":
            ms = int(app.arg) if app.arg.strip().isdigit() else 0
            self.calls.later(ch, ms, lambda: self.complete(ch))
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
        else:
            self.complete(ch)

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
        partner = ch.partner if ch.other_type else None
        if partner is not None:
            self.unbridge(ch, partner)
            self.calls.hangup(partner, "NORMAL_CLEARING")
        if ch.parked:
            ch.parked = False
            self.calls.emit(ch, "CHANNEL_UNPARK")
        self.complete(ch, then_run=False)
        self._transfer_to(ch, arg)
        return True

    def _bridge(self, a: Channel, dial: str) -> None:
        try:
            ep = parse_dialstring(dial, self.calls.node.profiles)
        except DialError as exc:
            self._bridge_failed(a, exc.cause)
            return

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
            self.calls.emit(
                a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
            )

        def on_fail(cause: str) -> None:
            a.partner = None
            self._bridge_failed(a, cause)

        b = self.calls.place_leg(ep, a.context, _BRIDGE_TIMEOUT_S, on_up, on_fail, a_leg=a)
        if b is not None and not b.hangup_cause:
            a.partner = b
            a.other_type = ""

    def _bridge_failed(self, a: Channel, cause: str) -> None:
        a.variables["originate_disposition"] = cause
        if a.hangup_cause or a.current_app is None:
            return
        self.complete(a, then_run=False)
        if a.apps:
            self.run_next(a)
        else:
            self.calls.hangup(a, cause)

    def uuid_bridge(self, a_uuid: str, b_uuid: str) -> str:
        """uuid_bridge: join two live, answered legs."""
        a, b = self.calls.channels.get(a_uuid), self.calls.channels.get(b_uuid)
        if a is None or b is None or a.hangup_cause or b.hangup_cause:
            return "-ERR Invalid uuid\n" if a is None else "-ERR no such channel\n"
        for ch in (a, b):
            if ch.parked:
                ch.parked = False
                self.calls.emit(ch, "CHANNEL_UNPARK")
            self.complete(ch, then_run=False)
        now = time.time()
        a.bridged_at = b.bridged_at = now
        a.partner, a.other_type = b, "originatee"
        b.partner, b.other_type = a, "originator"
        b.is_b_leg = True
        self.calls.emit(
            a, "CHANNEL_BRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
        )
        return f"+OK {b.uuid}\n"

    def unbridge(self, a: Channel, b: Channel) -> None:
        self.calls.emit(
            a, "CHANNEL_UNBRIDGE", **{"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid}
        )

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
