"""A slow node: ESLTimeout, and the connection is dropped so a late reply can never be misread."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.errors import ConnectionLost, ESLTimeout
from tests.telephony.fixtures import GREETING, FakeSwitch, ScriptedServer

pytestmark = pytest.mark.integration


def test_a_slow_reply_times_out_and_drops_the_connection():
    with FakeSwitch() as switch:
        switch.api_delay["api slow"] = 0.8
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", name="fs1").connect()
        with pytest.raises(ESLTimeout) as caught:
            conn.api("slow", timeout=0.2)
        assert str(caught.value) == "fs1: no reply within 0.2 s; connection dropped"
        assert caught.value.permanent is False
        assert not conn.connected
        # The late "+OK slow" must never become the answer to the next command.
        with pytest.raises(ConnectionLost, match="dropped after a command timed out"):
            conn.api("fast")
        with closing(ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()) as fresh:
            assert fresh.api("fast") == "+OK fast\n"


def test_without_dropping_the_late_reply_would_answer_the_next_command():
    """Control for the test above: on a raw socket that keeps going after a timeout, the next
    command really does receive the previous command's late reply."""
    with FakeSwitch() as switch:
        switch.api_delay["api slow"] = 0.5
        import socket

        from telephony.protocol import FrameParser, parse_reply

        sock = socket.create_connection(("127.0.0.1", switch.port), timeout=5)
        parser = FrameParser()
        frames = []

        def next_frame(timeout):
            sock.settimeout(timeout)
            while not frames:
                frames.extend(parser.feed(sock.recv(65536)))
            return frames.pop(0)

        next_frame(5)
        sock.sendall(b"auth ClueCon\n\n")
        next_frame(5)
        sock.sendall(b"api slow\n\n")
        with pytest.raises(TimeoutError):
            next_frame(0.1)  # a naive client gives up here but keeps the socket
        sock.sendall(b"api fast\n\n")
        assert parse_reply(next_frame(5)).text == "+OK slow\n"  # wrong answer to "api fast"
        sock.close()


def test_other_callers_waiting_on_a_timed_out_connection_get_connection_lost():
    with FakeSwitch() as switch:
        switch.api_delay["api slow"] = 1.0
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        outcome = {}

        def second_caller():
            try:
                outcome["reply"] = conn.api("fast", timeout=5)
            except ConnectionLost as exc:
                outcome["error"] = exc

        slow = threading.Thread(
            target=lambda: pytest.raises(ESLTimeout, conn.api, "slow", timeout=0.3)
        )
        slow.start()
        deadline = time.monotonic() + 5
        while not conn._pending and time.monotonic() < deadline:
            time.sleep(0.001)  # "api slow" must be on the wire first
        other = threading.Thread(target=second_caller)
        other.start()
        slow.join(5)
        other.join(5)
        assert "reply" not in outcome
        assert "timed out" in str(outcome["error"])


def test_the_per_call_timeout_overrides_the_connection_default():
    with FakeSwitch() as switch:
        switch.api_delay["api slow"] = 0.4
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon", timeout=0.1).connect()
        with closing(conn):
            assert conn.api("slow", timeout=3.0) == "+OK slow\n"
            with pytest.raises(ESLTimeout):
                conn.api("slow")


def test_a_node_that_accepts_but_never_greets_times_out_on_connect():
    def silent(conn):
        conn.read_command(timeout=5)

    with ScriptedServer(silent) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1", connect_timeout=0.3)
        with pytest.raises(ESLTimeout) as caught:
            conn.connect()
    assert str(caught.value) == "fs1: no ESL greeting or auth reply in time"


def test_a_node_that_greets_but_never_answers_auth_times_out_on_connect():
    def mute_after_greeting(conn):
        conn.send(GREETING)
        conn.read_command(timeout=5)
        conn.read_command(timeout=5)

    with ScriptedServer(mute_after_greeting) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", connect_timeout=0.3)
        with pytest.raises(ESLTimeout):
            conn.connect()
