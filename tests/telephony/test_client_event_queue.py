"""Events between replies: a bounded queue (drop or disconnect when full) or a callback."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.errors import ConnectionLost
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_a_full_queue_drops_new_events_and_counts_them_but_keeps_the_connection():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", event_queue_size=3)
        with closing(conn.connect()):
            for _ in range(5):
                switch.broadcast(switch.event("HEARTBEAT"))
            assert conn.api("status") == "+OK status\n"  # the reply comes after the 5 events
            assert conn.events_dropped == 2
            assert [conn.read_event(0).sequence for _ in range(3)] == [101, 102, 103]
            assert conn.read_event(0) is None
            assert conn.connected


def test_a_full_queue_in_disconnect_mode_drops_the_connection_so_the_consumer_reconciles():
    with FakeSwitch() as switch:
        conn = ESLConnection(
            "127.0.0.1", switch.port, "ClueCon", event_queue_size=3, on_overflow="disconnect"
        )
        conn.connect()
        for _ in range(5):
            switch.broadcast(switch.event("HEARTBEAT"))
        wait_until(lambda: not conn.connected)
        assert [conn.read_event(0).sequence for _ in range(3)] == [101, 102, 103]
        with pytest.raises(ConnectionLost, match="event queue overflow"):
            conn.read_event(0)


def test_a_callback_receives_events_in_order_and_its_errors_do_not_kill_the_reader():
    with FakeSwitch() as switch:
        received = []
        done = threading.Event()

        def on_event(event):
            received.append(event.sequence)
            if event.sequence == 102:
                raise RuntimeError("a buggy consumer")
            if len(received) == 4:
                done.set()

        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", on_event=on_event)
        with closing(conn.connect()):
            for _ in range(4):
                switch.broadcast(switch.event("HEARTBEAT"))
            assert done.wait(5)
            assert received == [101, 102, 103, 104]
            assert conn.api("status") == "+OK status\n"


def test_a_connection_without_a_queue_discards_unclaimed_events():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", event_queue_size=0)
        with closing(conn.connect()):
            switch.broadcast(switch.event("HEARTBEAT"))
            assert conn.api("status") == "+OK status\n"
            assert conn.events_dropped == 1
