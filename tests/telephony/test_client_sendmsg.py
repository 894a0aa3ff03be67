"""sendmsg against capture 15: the wire commands match what FreeSWITCH accepted, replies and the
Application-UUID echo come back, and an unknown channel is a CommandError."""

from __future__ import annotations

import contextlib

import pytest

from telephony.client import ESLConnection
from telephony.errors import CommandError, ConnectionLost
from tests.telephony.fixtures import (
    ScriptedServer,
    capture_path,
    parse_command,
    read_records,
    replay_capture,
    split_commands,
)

pytestmark = pytest.mark.integration

CALL = "00000000-0000-4000-8000-000000000015"
UNKNOWN = "11111111-2222-3333-4444-555555555555"


def normalised(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    line, headers, body = parse_command(raw)
    return line, {k.lower(): v for k, v in headers.items()}, body.rstrip(b"\n")


def drain(conn: ESLConnection) -> list:
    """Every event queued before the connection closed."""
    events = []
    with contextlib.suppress(ConnectionLost):
        while (event := conn.read_event(timeout=0)) is not None:
            events.append(event)
    return events


def test_sendmsg_session_replays_capture_15():
    path = capture_path("15-")
    recorded = [
        c for r in read_records(path) if r.direction == "C>S" for c in split_commands(r.data)
    ]
    seen: list[bytes] = []
    with ScriptedServer(replay_capture(path, seen)) as server:
        conn = ESLConnection("127.0.0.1", server.port, "ClueCon").connect()
        conn.subscribe(
            [
                "CHANNEL_ANSWER",
                "CHANNEL_PARK",
                "CHANNEL_EXECUTE",
                "CHANNEL_EXECUTE_COMPLETE",
                "DTMF",
                "PLAYBACK_START",
                "PLAYBACK_STOP",
                "CHANNEL_HANGUP",
                "CHANNEL_HANGUP_COMPLETE",
                "BACKGROUND_JOB",
            ]
        )
        job = conn.bgapi_job(
            f"originate {{origination_uuid={CALL},ignore_early_media=true}}"
            "sofia/internal/4008001234@127.0.0.1:5090 &park()"
        )
        assert job.result(5) == f"+OK {CALL}\n"
        replies = [
            conn.sendmsg(
                CALL,
                "playback",
                "tone_stream://%(300,200,440);loops=3",
                event_uuid="0a0a0a0a-0000-4000-8000-000000000001",
            ),
            conn.sendmsg(
                CALL,
                "send_dtmf",
                "123",
                event_lock=True,
                event_uuid="0a0a0a0a-0000-4000-8000-000000000002",
            ),
            conn.sendmsg(
                CALL,
                "playback",
                "tone_stream://%(100,100,600);loops=2",
                event_uuid="0a0a0a0a-0000-4000-8000-000000000003",
            ),
        ]
        assert [r.text for r in replies] == ["+OK", "+OK", "+OK"]
        with pytest.raises(CommandError) as caught:
            conn.sendmsg(UNKNOWN, "send_dtmf", "1")
        assert caught.value.reply_text == f"-ERR invalid session id [{UNKNOWN}]"
        assert conn.sendmsg(CALL, call_command="hangup", hangup_cause="NORMAL_CLEARING").ok
        conn.exit()
        echoed = [
            (event.get("Application"), event.get("Application-UUID"))
            for event in drain(conn)
            if event.name == "CHANNEL_EXECUTE" and event.get("Application") != "park"
        ]
    assert echoed == [
        ("playback", "0a0a0a0a-0000-4000-8000-000000000001"),
        ("send_dtmf", "0a0a0a0a-0000-4000-8000-000000000002"),
        ("playback", "0a0a0a0a-0000-4000-8000-000000000003"),
    ]
    sendmsgs = [normalised(c) for c in seen if c.startswith(b"sendmsg")]
    expected = [normalised(c) for c in recorded if c.startswith(b"sendmsg")]
    # The first is sent with its argument in a body rather than a header (it contains `%`).
    assert sendmsgs[1:] == expected[1:]
    assert sendmsgs[0][1]["content-type"] == "text/plain"
    assert sendmsgs[0][2] == b"tone_stream://%(300,200,440);loops=3"
