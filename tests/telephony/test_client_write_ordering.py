"""Replies are matched FIFO, so "register the pending slot + write" must be one locked step.

A pair (STYLE rule 15): with the lock, a writer stalled inside sendall() holds the others back and
every caller gets its own reply; the control releases the lock before the write (a test-only
switch) and the stalled writer's slot is answered with the other caller's reply."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration


class StallingSocket:
    """Wraps the real socket; the write of `api first` stalls until `api second` has been written
    (or, when the lock holds the second writer back, until its patience runs out)."""

    def __init__(self, sock, started: threading.Event, patience: float) -> None:
        self._sock = sock
        self._patience = patience
        self._started = started
        self._second_written = threading.Event()

    def sendall(self, payload: bytes) -> None:
        if payload.startswith(b"api first"):
            self._started.set()
            self._second_written.wait(self._patience)
        self._sock.sendall(payload)
        if payload.startswith(b"api second"):
            self._second_written.set()

    def __getattr__(self, name):
        return getattr(self._sock, name)


def race(guarded: bool) -> dict[str, str]:
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        conn._guard_writes = guarded
        started = threading.Event()
        conn._sock = StallingSocket(conn._sock, started, patience=0.5 if guarded else 10)
        replies: dict[str, str] = {}
        with closing(conn):
            first = threading.Thread(target=lambda: replies.__setitem__("first", conn.api("first")))
            first.start()
            assert started.wait(5)
            second = threading.Thread(
                target=lambda: replies.__setitem__("second", conn.api("second"))
            )
            second.start()
            first.join(10)
            second.join(10)
        return replies


def test_with_the_lock_each_caller_gets_its_own_reply_even_when_a_write_stalls():
    assert race(guarded=True) == {"first": "+OK first\n", "second": "+OK second\n"}


def test_control_without_the_lock_a_stalled_write_gets_the_other_callers_reply():
    assert race(guarded=False) == {"first": "+OK second\n", "second": "+OK first\n"}
