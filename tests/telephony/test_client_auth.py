"""Connecting and authenticating over real TCP, against real captured bytes where we have them."""

from __future__ import annotations

from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from telephony.errors import AuthenticationError, ESLError
from tests.telephony.fixtures import FakeSwitch, ScriptedServer, capture_path, replay_capture

pytestmark = pytest.mark.integration


def test_wrong_password_is_a_permanent_authentication_error_capture_01():
    seen: list[bytes] = []
    with ScriptedServer(replay_capture(capture_path("01-"), seen)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "bad", name="fs1")
        with pytest.raises(AuthenticationError) as caught:
            conn.connect()
    assert str(caught.value) == "fs1: authentication failed: -ERR invalid"
    assert caught.value.permanent is True
    assert seen == [b"auth bad\n\n"]
    assert not conn.connected


def test_the_password_never_appears_in_errors_or_reprs():
    secret = "s3cret-Pass-42"
    with FakeSwitch(password="something-else") as switch:
        node = NodeConfig("fs1", "127.0.0.1", switch.port, secret)
        conn = ESLConnection.for_node(node)
        with pytest.raises(AuthenticationError) as caught:
            conn.connect()
    assert switch.commands == [f"auth {secret}"]  # it went on the wire, and only there
    for text in (str(caught.value), repr(caught.value), repr(conn), repr(node)):
        assert secret not in text


def test_an_acl_rude_rejection_is_a_permanent_authentication_error():
    def reject(conn):
        conn.send(
            b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
        )

    with ScriptedServer(reject) as server, pytest.raises(AuthenticationError) as caught:
        ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1").connect()
    assert str(caught.value) == "fs1: the node's ACL refused us: Access Denied, go away."
    assert caught.value.permanent


def test_good_auth_then_api_replies_match_capture_02():
    with ScriptedServer(replay_capture(capture_path("02-"))) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon", name="fs1").connect()
        with closing(conn):
            assert conn.connected
            assert conn.api("version") == "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"
            assert conn.api("status").startswith("UP 0 years, 0 days, 0 hours, 0 minutes, 16 s")
            assert conn.api("show calls count") == "\n0 total.\n"


def test_a_closed_connection_cannot_be_reopened():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        conn.close()
        with pytest.raises(ESLError, match="cannot be reopened"):
            conn.connect()
