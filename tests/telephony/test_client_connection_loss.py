"""A node that is down, closes mid-command, talks garbage or shuts down: ConnectionLost."""

from __future__ import annotations

import socket
import time
from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.errors import ConnectionLost, ESLError, ProtocolError
from tests.telephony.fixtures import (
    GREETING,
    FakeSwitch,
    ScriptedServer,
    api_response,
    capture_path,
    command_reply,
    plain_event,
    replay_capture,
)

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def authed(then):
    """A handler: greeting, accept any auth, then `then(conn)`."""

    def handler(conn):
        conn.send(GREETING)
        conn.read_command()
        conn.send(command_reply("+OK accepted"))
        then(conn)

    return handler


def test_a_node_that_is_down_refuses_the_connection_and_it_is_retriable():
    port = free_port()
    conn = ESLConnection("127.0.0.1", port, "ClueCon", name="fs1")
    with pytest.raises(ConnectionLost) as caught:
        conn.connect()
    assert str(caught.value) == f"fs1: cannot connect to 127.0.0.1:{port}: Connection refused"
    assert caught.value.permanent is False


def test_a_node_closing_mid_command_fails_that_command_and_later_ones():
    def close_after_command(conn):
        conn.read_command()
        conn.close()

    with ScriptedServer(authed(close_after_command)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1").connect()
        with pytest.raises(ConnectionLost) as caught:
            conn.api("status")
        assert str(caught.value) == "fs1: connection closed by the node"
        assert caught.value.reason == "EOF"
        assert not conn.connected
        with pytest.raises(ConnectionLost, match="connection closed by the node"):
            conn.api("status")


def test_a_non_numeric_content_length_drops_the_connection_as_a_protocol_error():
    def garbage(conn):
        conn.read_command()
        conn.send(b"Content-Type: api/response\nContent-Length: twelve\n\n+OK\n")
        conn.read_command(timeout=5)

    with ScriptedServer(authed(garbage)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1").connect()
        with pytest.raises(ConnectionLost) as caught:
            conn.api("status")
    assert str(caught.value) == ("fs1: protocol error: non-numeric Content-Length 'twelve'")
    assert caught.value.reason == "protocol error"
    assert not conn.connected


def test_a_reply_nobody_asked_for_is_a_protocol_error():
    def unsolicited(conn):
        conn.send(api_response("+OK surprise\n"))
        conn.read_command(timeout=5)

    with ScriptedServer(authed(unsolicited)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        wait_until(lambda: not conn.connected)
        assert conn.lost_reason == "protocol error"
        with pytest.raises(ConnectionLost, match="a reply arrived with no command waiting"):
            conn.api("status")


def test_shutdown_notice_is_reported_as_the_reason_for_the_loss_capture_25b():
    with ScriptedServer(replay_capture(capture_path("25b-"))) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1").connect()
        assert conn.api("fsctl shutdown") == "+OK\n"
        wait_until(lambda: not conn.connected)
    assert conn.lost_reason == "The system is being shut down."
    with pytest.raises(ConnectionLost) as caught:
        conn.api("status")
    assert caught.value.reason == "The system is being shut down."
    assert str(caught.value) == "fs1: the node disconnected us: The system is being shut down."


def test_exit_gets_bye_then_the_goodbye_notice_and_closes():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        conn.exit()
        assert switch.commands[-1] == "exit"
    assert not conn.connected
    assert conn.lost_reason == (
        "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/"
    )


def test_read_event_reports_the_loss_once_the_queue_is_drained():
    def one_event_then_close(conn):
        conn.send(plain_event([("Event-Name", "HEARTBEAT"), ("Event-Sequence", "9")]))
        conn.close()

    with ScriptedServer(authed(one_event_then_close)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        with closing(conn):
            wait_until(lambda: not conn.connected)
            event = conn.read_event(timeout=1)
            assert (event.name, event.sequence) == ("HEARTBEAT", 9)
            with pytest.raises(ConnectionLost):
                conn.read_event(timeout=1)


def test_protocol_error_is_a_connection_loss_and_not_permanent():
    assert issubclass(ProtocolError, ConnectionLost)
    assert issubclass(ConnectionLost, ESLError)
    assert ProtocolError("x").permanent is False


def test_a_reader_blocked_in_read_event_wakes_as_soon_as_the_connection_is_lost():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        import threading

        threading.Timer(0.2, lambda: [c.close() for c in list(switch.live)]).start()
        started = time.monotonic()
        with pytest.raises(ConnectionLost):
            conn.read_event(timeout=30)
        assert time.monotonic() - started < 20  # not the full 30 s timeout
