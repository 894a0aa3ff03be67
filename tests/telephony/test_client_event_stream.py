"""EventStream: subscribe (names before CUSTOM), iterate, report losses with their reason,
reconnect with backoff, run on_connect every time and notice a new Core-UUID."""

from __future__ import annotations

import time

import pytest

from telephony.client import Backoff, EventStream
from telephony.config import NodeConfig
from telephony.errors import InvalidCommand
from tests.telephony.fixtures import SHUTDOWN, FakeSwitch

pytestmark = pytest.mark.integration

FAST = Backoff(base=0.05, factor=2.0, maximum=0.2, jitter=0.0)
OLD_CORE = "7e7311ca-ac7b-41e8-85c6-cb159a57b4df"
NEW_CORE = "952e7fe7-a4eb-470d-9d9a-2877b3ddb0dc"


def stream_for(switch: FakeSwitch, **options) -> tuple[EventStream, list, list]:
    connects: list = []
    disconnects: list = []
    stream = EventStream(
        NodeConfig("fs1", "127.0.0.1", switch.port, "ClueCon"),
        ["HEARTBEAT", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"],
        ["sofia::register", "sofia::unregister"],
        on_connect=lambda conn, info: connects.append(info),
        on_disconnect=disconnects.append,
        backoff=FAST,
        **options,
    )
    return stream, connects, disconnects


def next_named(stream: EventStream, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = stream.next_event(0.2)
        if event is not None:
            return event
    raise AssertionError("no event in time")


def test_the_stream_subscribes_with_names_before_custom_and_yields_events_in_order():
    with FakeSwitch(core_uuid=OLD_CORE) as switch:
        stream, connects, _ = stream_for(switch, filters=[("Event-Name", "HEARTBEAT")])
        try:
            assert stream.next_event(0.3) is None  # connects, nothing to read yet
            assert switch.commands == [
                "auth ClueCon",
                "event plain HEARTBEAT CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB "
                "CUSTOM sofia::register sofia::unregister",
                "filter Event-Name HEARTBEAT",
                "api global_getvar core_uuid",
            ]
            assert len(connects) == 1
            assert (connects[0].core_uuid, connects[0].reconnect, connects[0].restarted) == (
                OLD_CORE,
                False,
                False,
            )
            for name in ("HEARTBEAT", "CHANNEL_HANGUP_COMPLETE", "HEARTBEAT"):
                switch.broadcast(switch.event(name))
            events = [next_named(stream) for _ in range(3)]
            assert [e.name for e in events] == ["HEARTBEAT", "CHANNEL_HANGUP_COMPLETE", "HEARTBEAT"]
            assert [e.sequence for e in events] == [101, 102, 103]
            assert stream.core_uuid == OLD_CORE
        finally:
            stream.close()


def test_a_shutdown_is_reported_with_its_reason_and_the_restart_is_noticed():
    switch = FakeSwitch(core_uuid=OLD_CORE)
    port = switch.port
    stream, connects, disconnects = stream_for(switch)
    try:
        stream.next_event(0.2)
        assert stream.connected
        switch.broadcast(SHUTDOWN)
        for conn in list(switch.live):
            conn.close()
        switch.stop()
        assert stream.next_event(0.5) is None
        assert disconnects == ["The system is being shut down."]
        assert stream.last_disconnect_reason == "The system is being shut down."
        assert not stream.connected
        switch = FakeSwitch(core_uuid=NEW_CORE, port=port)
        deadline = time.monotonic() + 5
        while len(connects) < 2 and time.monotonic() < deadline:
            stream.next_event(0.1)
        assert len(connects) == 2
        info = connects[1]
        assert (info.reconnect, info.previous_core_uuid, info.core_uuid) == (
            True,
            OLD_CORE,
            NEW_CORE,
        )
        assert info.restarted
        switch.broadcast(switch.event("HEARTBEAT"))
        assert next_named(stream).core_uuid == NEW_CORE
    finally:
        stream.close()
        switch.stop()


def test_a_plain_eof_is_reported_as_eof():
    with FakeSwitch() as switch:
        stream, _, disconnects = stream_for(switch)
        try:
            stream.next_event(0.2)
            for conn in list(switch.live):
                conn.close()
            deadline = time.monotonic() + 5
            while not disconnects and time.monotonic() < deadline:
                stream.next_event(0.1)
            assert disconnects[0] == "EOF"
            deadline = time.monotonic() + 5
            while not stream.connected and time.monotonic() < deadline:
                stream.next_event(0.1)
            assert stream.connected  # reconnected to the same node
            assert stream.connects == 2
        finally:
            stream.close()


def test_a_failing_on_connect_backs_off_and_retries_and_still_reports_the_restart():
    with FakeSwitch(core_uuid=NEW_CORE) as switch:
        calls = []

        def reconcile(conn, info):
            calls.append(info)
            if len(calls) == 1:
                raise RuntimeError("database unavailable")

        stream = EventStream(
            NodeConfig("fs1", "127.0.0.1", switch.port, "ClueCon"),
            ["HEARTBEAT"],
            on_connect=reconcile,
            backoff=FAST,
        )
        stream.core_uuid = OLD_CORE  # as if it had been connected before a restart
        try:
            deadline = time.monotonic() + 5
            while not stream.connected and time.monotonic() < deadline:
                stream.next_event(0.1)
            assert stream.connected
            assert len(calls) == 2
            assert switch.commands.count("auth ClueCon") == 2
            assert [info.restarted for info in calls] == [True, True]
            assert stream.core_uuid == NEW_CORE
        finally:
            stream.close()


def test_a_misplaced_custom_subscription_fails_at_construction():
    with pytest.raises(InvalidCommand, match="pass CUSTOM subclasses as `custom`"):
        EventStream(
            NodeConfig("fs1", "127.0.0.1", 8021, "ClueCon"),
            ["CUSTOM", "sofia::register", "HEARTBEAT"],
        )


class _FakeTime:
    """A clock that only the stream's own sleeps move; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[tuple[float, float]] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append((self.now, seconds))
        self.now += seconds


def _lose(switch: FakeSwitch, notice: bool) -> None:
    if notice:
        switch.broadcast(SHUTDOWN)
    for conn in list(switch.live):
        conn.close()
    switch.stop()


@pytest.mark.parametrize("notice", [True, False])
def test_after_a_shutdown_notice_the_stream_retries_soon_for_a_minute_then_backs_off(notice):
    """Phones register again about a second after a restarted node opens its SIP port (lab
    report, s11): the listener must be back by then, not after a grown backoff."""
    fake = _FakeTime()
    switch = FakeSwitch(core_uuid=OLD_CORE)
    stream, _, disconnects = stream_for(switch)
    stream.backoff = Backoff(base=10.0, factor=2.0, maximum=40.0, jitter=0.0)
    try:
        stream.next_event(0.2)
        assert stream.connected
        stream.clock, stream.sleep = fake.clock, fake.sleep
        _lose(switch, notice)
        lost_at = fake.now
        assert stream.next_event(150.0) is None  # the node stays down: every retry fails
        assert disconnects == (["The system is being shut down."] if notice else ["EOF"])
        waits = [s for _, s in fake.sleeps]
        if notice:
            early = [s for t, s in fake.sleeps if t < lost_at + stream.restart_window - 1]
            late = [s for t, s in fake.sleeps if t > lost_at + stream.restart_window + 1]
            assert len(early) > 50 and set(early) == {stream.restart_retry}
            assert late and max(late) > 1.0  # the ordinary backoff again
        else:
            assert waits[0] == 10.0 and max(waits) == 40.0
    finally:
        stream.close()
        switch.stop()
