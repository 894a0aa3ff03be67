"""One emulated FreeSWITCH node: its ESL listener, event bus, limits, registrations, records."""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from collections.abc import Callable
from typing import Any

from emulator import api as api_commands
from emulator import wire
from emulator.calls import CallEngine
from emulator.cdr import CdrReporter
from emulator.channel import CALLSTATE_NUMBERS, Channel
from emulator.connection import EslConnection
from emulator.outcomes import OutcomeTable
from emulator.registrar import Registrar
from emulator.registrations import Registration
from emulator.wire import Command, Event

VERSION = "1.10.12-release~64bit"
TCP_DROP_MODES = ("stock-unreg", "stock-silent", "patched")

# Event-Calling-File/Function/Line-Number per event, as in the captures.
CALLING: dict[str, tuple[str, str, str]] = {
    "API": ("switch_loadable_module.c", "switch_api_execute", "2954"),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", "1572"),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3846"),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", "301"),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", "626"),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", "1584"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2944"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2967"),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", "3445"),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        "943",
    ),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", "632"),
    "CHANNEL_OUTGOING": (
        "switch_core_session.c",
        "switch_core_session_outgoing_channel",
        "768",
    ),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", "1002"),
    "CHANNEL_PROGRESS": (
        "switch_channel.c",
        "switch_channel_perform_mark_ring_ready_value",
        "3505",
    ),
    "CHANNEL_PROGRESS_MEDIA": (
        "switch_channel.c",
        "switch_channel_perform_mark_pre_answered",
        "3565",
    ),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2408"),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", "1213"),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", "95"),
    "DETECTED_TONE": ("switch_ivr_async.c", "tone_detect_callback", "4270"),
    "avmd::start": ("mod_avmd.c", "avmd_fire_event", "700"),
    "avmd::beep": ("mod_avmd.c", "avmd_fire_event", "700"),
    "avmd::stop": ("mod_avmd.c", "avmd_fire_event", "700"),
    "sofia::expire": ("sofia_reg.c", "sofia_reg_del_callback", "726"),
    "sofia::pre_register": ("sofia_reg.c", "sofia_reg_handle_register_token", "1810"),
    "sofia::register": ("sofia_reg.c", "sofia_reg_handle_register_token", "2059"),
    "sofia::register_attempt": ("sofia_reg.c", "sofia_reg_handle_register_token", "1606"),
    "sofia::register_failure": ("sofia_reg.c", "sofia_reg_handle_register_token", "1792"),
    "sofia::sip_user_state": (
        "sofia_reg.c",
        "sofia_reg_fire_custom_sip_user_state_event",
        "179",
    ),
    "sofia::unregister": ("sofia_reg.c", "sofia_reg_handle_register_token", "2213"),
    "sofia::unregister/socket": ("sofia.c", "our_sofia_event_callback", "2080"),
}
_UNKNOWN_CALLER = ("emulator.c", "emulate", "1")


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.new_event_loop()  # replaced by the running loop in start()


class Node:
    """An emulated FreeSWITCH node; every method runs on the cluster's event loop."""

    def __init__(
        self,
        name: str,
        password: str,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        max_sessions: int = 1000,
        sps: int = 30,
        heartbeat_interval: float = 20.0,
        sweep_interval: float = 30.0,
        late_margin: int = 60,
        expire_linger: float = 2.0,
        tcp_drop_mode: str = "stock-unreg",
        transport_error_subclass: str = "sofia::transport_error",
        transport_error_ip_header: str = "network-ip",
        transport_error_port_header: str = "network-port",
        unregister_on_options_fail: bool = True,
        agent_answer_ms: int = 100,
        domain: str = "127.0.0.1",
        ipv4: str = "127.0.0.1",
        shutdown_delay: float = 0.05,
        record_limit: int = 200_000,
        gateways: tuple[str, ...] | list[str] | None = None,
        cdr: list[dict[str, Any]] | None = None,
        sip_proxies: tuple[str, ...] | list[str] = (),
    ) -> None:
        if tcp_drop_mode not in TCP_DROP_MODES:
            raise ValueError(f"tcp_drop_mode must be one of {TCP_DROP_MODES}")
        self.name = name
        self.password = password
        self.host = host
        self.port = port
        self.max_sessions = max_sessions
        self.sps = sps
        self.heartbeat_interval = heartbeat_interval
        self.sweep_interval = sweep_interval
        self.late_margin = late_margin
        self.expire_linger = expire_linger
        self.tcp_drop_mode = tcp_drop_mode
        self.transport_error_subclass = transport_error_subclass
        self.transport_error_ip_header = transport_error_ip_header
        self.transport_error_port_header = transport_error_port_header
        self.unregister_on_options_fail = unregister_on_options_fail
        self.agent_answer_ms = agent_answer_ms
        # Real SIP proxies (host:port): legs to them are sent as real INVITEs (sip_proxy).
        self.sip_proxies = frozenset(sip_proxies)
        self.domain = domain
        self.ipv4 = ipv4
        self.shutdown_delay = shutdown_delay
        self.profiles: tuple[str, ...] = ("internal", "external")
        self.loop: asyncio.AbstractEventLoop = _current_loop()
        self.server: asyncio.base_events.Server | None = None
        self.connections: dict[int, EslConnection] = {}
        self.listeners: set[EslConnection] = set()
        self.hung = False
        self.up = False
        self.outcomes = OutcomeTable()
        self.calls = CallEngine(self)
        if gateways is not None:  # names or globs; any other gateway is INVALID_GATEWAY
            self.calls.directory.gateways = set(gateways)
        self.cdr = CdrReporter(self)  # mod_json_cdr / mod_xml_cdr: off unless configured
        if cdr:
            self.cdr.configure(cdr)
        self.registrations: dict[str, Registration] = {}  # by call-id
        self.registrar = Registrar(self)
        self.registrar.on_register = self._learn_user
        self.commands: collections.deque[dict[str, Any]] = collections.deque(maxlen=record_limit)
        self.history: collections.deque[Channel] = collections.deque(maxlen=record_limit // 10)
        self._timers: list[asyncio.TimerHandle] = []
        self._needs_new_core = False
        self._new_core()

    def _learn_user(self, reg: Registration) -> None:
        """A user that registers passes the digest, so it is (and stays) a directory user."""
        self.calls.directory.learn(reg.user, reg.domain)

    def _new_core(self) -> None:
        self.core_uuid = str(uuid.uuid4())
        self.seq = 0
        self.started_at = time.time()
        self.sessions_since_startup = 0
        self.peak_sessions = 0
        self._sps_second = 0
        self._sps_left = self.sps
        self._sps_last = 0
        self._sps_count = 0
        self._sps_peak = 0
        self._std_prefix = [
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.name),
            ("FreeSWITCH-Switchname", self.name),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", "::1"),
        ]
        self._date_cache: tuple[int, str, str] = (0, "", "")

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for ESL connections (on the same port when restarted)."""
        if self.up:
            return
        self.loop = asyncio.get_running_loop()
        if self._needs_new_core:
            self._new_core()
            self._needs_new_core = False
        self.server = await self.loop.create_server(
            lambda: EslConnection(self), self.host, self.port, reuse_address=True
        )
        sock = self.server.sockets[0]
        self.port = int(sock.getsockname()[1])
        self.up = True
        self._schedule_timers()

    def _schedule_timers(self) -> None:
        for t in self._timers:
            t.cancel()
        self._timers = []
        if self.heartbeat_interval > 0:
            self._timers.append(self.loop.call_later(self.heartbeat_interval, self._heartbeat_tick))
        if self.sweep_interval > 0:
            self._timers.append(self.loop.call_later(self.sweep_interval, self._sweep_tick))

    async def stop(self) -> None:
        """Node down: close the listener and drop every connection without a word."""
        self.up = False
        for t in self._timers:
            t.cancel()
        self._timers = []
        if self.server is not None:
            self.server.close()
            for conn in list(self.connections.values()):
                conn.abort()
            await self.server.wait_closed()
            self.server = None
        for conn in list(self.connections.values()):
            conn.abort()

    def shutdown(self) -> None:
        """fsctl shutdown: SYSTEM_SHUTDOWN hangups, the 31-byte notice to everyone, then down."""
        self.calls.hupall("SYSTEM_SHUTDOWN")

        def finish() -> None:
            for conn in list(self.connections.values()):
                conn.close(wire.SHUTDOWN_NOTICE)
            self._needs_new_core = True
            # The registrations persist (no unregister, no expire: capture 32); the phones'
            # TCP connections die with the process.
            self.registrar.restarted()
            self.loop.create_task(self.stop())

        self.loop.call_later(self.shutdown_delay, finish)

    async def restart(self, down_for: float = 0.0) -> None:
        """A FreeSWITCH restart: shutdown, then back on the same port with a new Core-UUID."""
        self.calls.hupall("SYSTEM_SHUTDOWN")
        for conn in list(self.connections.values()):
            conn.close(wire.SHUTDOWN_NOTICE)
        self.registrar.restarted()  # rows kept with their old expiry (captures 32, 32c)
        await self.stop()
        self._needs_new_core = True
        if down_for > 0:
            await asyncio.sleep(down_for)
        await self.start()

    def hang(self) -> None:
        """Stop answering anything (connections are still accepted): a stuck node."""
        self.hung = True

    def unhang(self) -> None:
        """Answer again, starting with what queued up meanwhile."""
        self.hung = False
        for conn in list(self.connections.values()):
            conn.resume()

    # -- events ------------------------------------------------------------------------------

    def _dates(self, now: float) -> tuple[str, str]:
        sec = int(now)
        cached = self._date_cache
        if cached[0] != sec:
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec))
            gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(sec))
            self._date_cache = cached = (sec, local, gmt)
        return cached[1], cached[2]

    def _targets(self, name: str, subclass: str) -> list[EslConnection]:
        if not self.listeners:
            return []
        return [c for c in self.listeners if c.wants(name, subclass)]

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
    ) -> None:
        """Fire an event; the sequence always advances, headers are built only for listeners.

        `seq` and `stamp` deliver a second copy of an event already fired (the session-queue
        copies of DETECTED_TONE and avmd::*, captures 45-47c): same Event-Sequence and time,
        and the node's sequence does not advance."""
        if seq is None:
            self.seq += 1
        targets = self._targets(name, subclass)
        if targets:
            self._deliver(targets, name, build, subclass, body, calling, head, seq, stamp)

    def _deliver(
        self,
        targets: list[EslConnection],
        name: str,
        build: Callable[[], list[tuple[str, str]]],
        subclass: str,
        body: str,
        calling: str,
        head: list[tuple[str, str]] | None,
        seq: int | None = None,
        stamp: float | None = None,
    ) -> None:
        now = time.time() if stamp is None else stamp
        local, gmt = self._dates(now)
        where = CALLING.get(calling or subclass or name, _UNKNOWN_CALLER)
        headers: list[tuple[str, str]] = [("Event-Subclass", subclass)] if subclass else []
        headers.append(("Event-Name", name))
        headers.extend(self._std_prefix)
        headers += [
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", where[0]),
            ("Event-Calling-Function", where[1]),
            ("Event-Calling-Line-Number", where[2]),
            ("Event-Sequence", str(self.seq if seq is None else seq)),
        ]
        if head:
            headers.extend(head)
        headers.extend(build())
        event = Event(name, headers, body, subclass)
        for conn in targets:
            if conn.passes_filters(event):
                conn.send_event(event)

    def emit_channel(self, ch: Channel, name: str, extra: dict[str, str]) -> None:
        """A channel event: Bridge-* first, channel and caller headers, Application-* last."""
        ch.events.append((time.time(), name))
        self.seq += 1
        targets = self._targets(name, "")
        if not targets:
            return  # the common case under load: nobody listens to this event type
        head: list[tuple[str, str]] = []
        if name == "CHANNEL_HANGUP_COMPLETE":
            head.append(("Hangup-Cause", ch.hangup_cause))
        elif name == "CHANNEL_CALLSTATE":
            head.append(("Original-Channel-Call-State", ch.prev_callstate))
            head.append(("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[ch.callstate])))
        tail: list[tuple[str, str]] = []
        for key, value in extra.items():
            (head if key.startswith("Bridge-") else tail).append((key, value))

        def build() -> list[tuple[str, str]]:
            return ch.channel_headers(name) + tail

        self._deliver(targets, name, build, "", "", "", head)

    def background_job(self, job: str, command: str, args: str, output: str) -> None:
        """Fire BACKGROUND_JOB with the api output as its body."""

        def build() -> list[tuple[str, str]]:
            h = [("Job-UUID", job), ("Job-Command", command)]
            if args:
                h.append(("Job-Command-Arg", args))
            return h

        self.emit("BACKGROUND_JOB", build, body=output)

    def emit_custom(self, subclass: str, headers: list[tuple[str, str]], calling: str = "") -> None:
        """A CUSTOM event with the given subclass."""
        self.emit("CUSTOM", lambda: headers, subclass=subclass, calling=calling)

    # -- api ---------------------------------------------------------------------------------

    def api(
        self, name: str, args: str, done: Callable[[str], None], job_uuid: str = ""
    ) -> str | None:
        """Run an api command; None means `done` will be called later."""
        if self.listeners:
            self.emit(
                "API",
                lambda: (
                    [("API-Command", name), ("API-Command-Argument", args)]
                    if args
                    else [("API-Command", name)]
                ),
            )
        return api_commands.run(self, name, args, done, job_uuid)

    def record_command(self, conn: EslConnection, cmd: Command) -> None:
        """Keep every command received (the auth password is never kept)."""
        line = cmd.line
        if line.startswith("auth ") or line.startswith("userauth "):
            line = line.split(" ", 1)[0] + " ********"
        entry: dict[str, Any] = {"t": time.time(), "conn": conn.id, "command": line}
        job = cmd.header("job-uuid")
        if job:
            entry["job_uuid"] = job
        self.commands.append(entry)

    # -- limits ------------------------------------------------------------------------------

    def admit_session(self) -> bool:
        """sessions-per-second and max-sessions, both counting every new session (B legs too).

        The per-second window is the wall-clock second, so the channel records (created epochs)
        show the limit exactly; FreeSWITCH's own timer has an arbitrary phase.
        """
        sec = int(time.time())
        if sec != self._sps_second:
            self._sps_last = self._sps_count if sec == self._sps_second + 1 else 0
            self._sps_second = sec
            self._sps_left = self.sps
            self._sps_count = 0
        # FreeSWITCH decrements before testing `<= 0`, so it admits N-1 a second (file 20).
        self._sps_left -= 1
        if self._sps_left <= 0:
            return False
        return len(self.calls.channels) < self.max_sessions

    def session_started(self) -> None:
        """Count a created session."""
        self.sessions_since_startup += 1
        self._sps_count += 1
        self._sps_peak = max(self._sps_peak, self._sps_count)
        self.peak_sessions = max(self.peak_sessions, len(self.calls.channels))

    def session_ended(self, ch: Channel) -> None:
        """Move a destroyed channel into the history."""
        self.history.append(ch)

    def sps_remaining(self) -> int:
        """Session-Per-Sec in HEARTBEAT: the budget left in the current second."""
        if int(time.time()) != self._sps_second:
            return self.sps
        return max(self._sps_left, 0)

    # -- heartbeat and sweep -----------------------------------------------------------------

    def uptime_text(self, now: float) -> str:
        """`0 years, 0 days, 0 hours, 0 minutes, 19 seconds, 234 milliseconds, 871 microseconds`."""
        us = int((now - self.started_at) * 1_000_000)
        secs, us = divmod(us, 1_000_000)
        ms, us = divmod(us, 1000)
        mins, secs = divmod(secs, 60)
        hours, mins = divmod(mins, 60)
        days, hours = divmod(hours, 24)
        years, days = divmod(days, 365)
        return (
            f"{years} year{'s' if years != 1 else ''}, {days} day{'s' if days != 1 else ''}, "
            f"{hours} hour{'s' if hours != 1 else ''}, {mins} minute{'s' if mins != 1 else ''}, "
            f"{secs} second{'s' if secs != 1 else ''}, "
            f"{ms} millisecond{'s' if ms != 1 else ''}, {us} microsecond{'s' if us != 1 else ''}"
        )

    def heartbeat(self) -> None:
        """Fire one HEARTBEAT now."""
        now = time.time()

        def build() -> list[tuple[str, str]]:
            return [
                ("Event-Info", "System Ready"),
                ("Up-Time", self.uptime_text(now)),
                ("FreeSWITCH-Version", VERSION),
                ("Uptime-msec", str(int((now - self.started_at) * 1000))),
                ("Session-Count", str(len(self.calls.channels))),
                ("Max-Sessions", str(self.max_sessions)),
                ("Session-Per-Sec", str(self.sps_remaining())),
                ("Session-Per-Sec-Last", str(self._sps_last)),
                ("Session-Per-Sec-Max", str(self._sps_peak)),
                ("Session-Per-Sec-FiveMin", str(self._sps_peak)),
                ("Session-Since-Startup", str(self.sessions_since_startup)),
                ("Session-Peak-Max", str(self.peak_sessions)),
                ("Session-Peak-FiveMin", str(self.peak_sessions)),
                ("Idle-CPU", "98.000000"),
            ]

        self.emit("HEARTBEAT", build)

    def _heartbeat_tick(self) -> None:
        if not self.up:
            return
        if not self.hung:
            self.heartbeat()
        self._timers.append(self.loop.call_later(self.heartbeat_interval, self._heartbeat_tick))
        self._timers = [t for t in self._timers if not t.cancelled()][-4:]

    def _sweep_tick(self) -> None:
        if not self.up:
            return
        self.registrar.sweep()
        self._timers.append(self.loop.call_later(self.sweep_interval, self._sweep_tick))
        self._timers = [t for t in self._timers if not t.cancelled()][-4:]
