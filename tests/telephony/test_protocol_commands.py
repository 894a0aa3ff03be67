"""Commands are built so that nothing can inject a second ESL command or misplace CUSTOM."""

from __future__ import annotations

import pytest

from telephony.errors import InvalidCommand
from telephony.protocol import (
    build_event_command,
    build_filter_command,
    build_nixevent_command,
    build_sendmsg,
    encode_command,
)


def test_a_plain_command_ends_with_a_blank_line():
    assert encode_command("api status") == b"api status\n\n"


def test_headers_and_a_body_get_a_byte_content_length():
    assert encode_command("sendmsg u", [("call-command", "execute")], "caf\u00e9".encode()) == (
        b"sendmsg u\ncall-command: execute\nContent-Length: 5\n\ncaf\xc3\xa9"
    )


@pytest.mark.parametrize(
    "command",
    [
        "api status\n\napi fsctl shutdown",
        "api status\r\nexit",
        "api status\rexit",
        "api status\nContent-Length: 5",
        "api status\x00",
    ],
)
def test_a_command_with_a_line_break_is_refused(command):
    with pytest.raises(InvalidCommand) as caught:
        encode_command(command)
    assert str(caught.value) == (
        "ESL command contains a line break; refusing to send it (ESL injection)"
    )
    assert caught.value.permanent is True
    assert "fsctl" not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([("Job-UUID", "x\nexit")], "ESL header Job-UUID contains a line break"),
        ([("Bad Name", "x")], "invalid ESL command header name 'Bad Name'"),
        ([("Content-Length", "5")], "invalid ESL command header name 'Content-Length'"),
        ([("X\n", "x")], "invalid ESL command header name"),
    ],
)
def test_bad_headers_are_refused(headers, message):
    with pytest.raises(InvalidCommand, match=message.replace("(", r"\(")):
        encode_command("bgapi status", headers)


def test_an_empty_command_is_refused():
    with pytest.raises(InvalidCommand, match="ESL command is empty"):
        encode_command("  ")


def test_event_names_always_come_before_custom_and_its_subclasses():
    assert (
        build_event_command(
            "plain", ["HEARTBEAT", "BACKGROUND_JOB"], ["sofia::register", "sofia::expire"]
        )
        == "event plain HEARTBEAT BACKGROUND_JOB CUSTOM sofia::register sofia::expire"
    )
    assert build_event_command("json", ["BACKGROUND_JOB"]) == "event json BACKGROUND_JOB"
    assert (
        build_event_command("plain", [], ["sofia::register"])
        == "event plain CUSTOM sofia::register"
    )


@pytest.mark.parametrize(
    ("names", "custom", "message"),
    [
        (["CUSTOM", "HEARTBEAT"], [], "pass CUSTOM subclasses as `custom`"),
        (["heartbeat"], [], "invalid event name 'heartbeat'"),
        (["HEARTBEAT\nexit"], [], "invalid event name"),
        (["HEARTBEAT"], ["sofia register"], "invalid event subclass 'sofia register'"),
        ([], [], "no event names given"),
    ],
)
def test_bad_subscriptions_are_refused(names, custom, message):
    with pytest.raises(InvalidCommand, match=message.replace("`", ".")):
        build_event_command("plain", names, custom)


@pytest.mark.parametrize("fmt", ["yaml", "xml"])
def test_a_format_the_parser_cannot_decode_is_refused(fmt):
    with pytest.raises(InvalidCommand, match=f"invalid event format '{fmt}'"):
        build_event_command(fmt, ["HEARTBEAT"])


def test_nixevent_uses_the_same_ordering():
    assert build_nixevent_command(["CHANNEL_CREATE"], ["sofia::expire"]) == (
        "nixevent CHANNEL_CREATE CUSTOM sofia::expire"
    )


def test_filter_commands():
    assert build_filter_command("Unique-ID", "abc") == "filter Unique-ID abc"
    assert build_filter_command("Job-UUID", "j", delete=True) == "filter delete Job-UUID j"
    with pytest.raises(InvalidCommand, match="filter value contains a line break"):
        build_filter_command("Unique-ID", "a\nexit")
    with pytest.raises(InvalidCommand, match="invalid filter header name"):
        build_filter_command("Unique ID", "a")


def test_sendmsg_execute_with_event_uuid_and_lock_matches_capture_15():
    msg = build_sendmsg(
        "00000000-0000-4000-8000-000000000015",
        "send_dtmf",
        "123",
        event_lock=True,
        event_uuid="0a0a0a0a-0000-4000-8000-000000000002",
    )
    assert encode_command(msg.command, msg.headers, msg.body) == (
        b"sendmsg 00000000-0000-4000-8000-000000000015\ncall-command: execute\n"
        b"execute-app-name: send_dtmf\nexecute-app-arg: 123\nevent-lock: true\n"
        b"Event-UUID: 0a0a0a0a-0000-4000-8000-000000000002\n\n"
    )


def test_sendmsg_puts_long_or_unusual_arguments_in_a_text_plain_body():
    msg = build_sendmsg("u-1", "playback", "tone_stream://%(100,100,600);loops=2")
    assert msg.body == b"tone_stream://%(100,100,600);loops=2"
    assert ("content-type", "text/plain") in msg.headers
    assert not any(name == "execute-app-arg" for name, _ in msg.headers)
    multi = build_sendmsg("u-1", "playback", "a\nb")
    assert multi.body == b"a\nb"


def test_sendmsg_hangup_with_a_cause():
    msg = build_sendmsg("u-1", call_command="hangup", hangup_cause="NORMAL_CLEARING")
    assert msg.headers == (("call-command", "hangup"), ("hangup-cause", "NORMAL_CLEARING"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"uuid": "u 1\nexit", "app": "park"}, "invalid channel uuid for sendmsg"),
        ({"uuid": "u1", "app": "park;exit"}, "sendmsg execute needs a valid application name"),
        ({"uuid": "u1", "app": "park", "event_uuid": "a b"}, "invalid event uuid for sendmsg"),
        ({"uuid": "u1", "call_command": "hangup", "hangup_cause": "x y"}, "invalid hangup cause"),
    ],
)
def test_sendmsg_refuses_hostile_values(kwargs, message):
    with pytest.raises(InvalidCommand, match=message):
        build_sendmsg(**kwargs)


@pytest.mark.parametrize("value", ["HEARTBEAT\n", "sofia::register\n"])
def test_a_trailing_newline_cannot_sneak_past_a_grammar(value):
    with pytest.raises(InvalidCommand):
        build_event_command("plain", [value]) if value.isupper() else build_event_command(
            "plain", [], [value]
        )
