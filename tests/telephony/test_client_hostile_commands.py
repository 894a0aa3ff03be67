"""The client itself refuses anything that would inject a second ESL command; nothing is sent."""

from __future__ import annotations

from contextlib import closing

import pytest

from telephony.client import ESLConnection
from telephony.errors import InvalidCommand
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration

HOSTILE = [
    "status\n\napi fsctl shutdown",
    "status\r\nexit",
    "status\rexit",
    "status\nJob-UUID: x",
]


@pytest.mark.parametrize("command", HOSTILE)
def test_api_bgapi_and_send_refuse_line_breaks_and_send_nothing(command):
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            for call in (conn.api, conn.bgapi, conn.send):
                with pytest.raises(InvalidCommand) as caught:
                    call(command)
                assert str(caught.value) == (
                    "ESL command contains a line break; refusing to send it (ESL injection)"
                )
            # The connection is untouched and still in step.
            assert conn.api("status") == "+OK status\n"
    assert switch.commands == ["auth ClueCon", "api status"]


def test_filter_subscribe_and_sendmsg_refuse_hostile_values():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "ClueCon").connect()
        with closing(conn):
            with pytest.raises(InvalidCommand):
                conn.filter("Unique-ID", "abc\nexit")
            with pytest.raises(InvalidCommand):
                conn.subscribe(["HEARTBEAT\nexit"])
            with pytest.raises(InvalidCommand):
                conn.sendmsg("uuid\nexit", "park")
            with pytest.raises(InvalidCommand):
                conn.sendmsg(
                    "00000000-0000-4000-8000-000000000015", "send_dtmf", "1", event_uuid="x y"
                )
            with pytest.raises(InvalidCommand):
                conn.send("sendmsg u", [("execute-app-arg", "x\n\nexit")])
    assert switch.commands == ["auth ClueCon"]


def test_a_password_with_a_line_break_is_refused_without_echoing_it():
    with FakeSwitch() as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "Clue\nCon-secret")
        with pytest.raises(InvalidCommand) as caught:
            conn.connect()
    assert "secret" not in str(caught.value)
    assert switch.commands == []
