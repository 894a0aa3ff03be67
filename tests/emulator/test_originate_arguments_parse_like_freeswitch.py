"""Pure parsing: arguments, variable blocks, endpoints, inline dialplans, DTMF, URL encoding."""

from __future__ import annotations

import pytest

from emulator.dialplan import (
    App,
    DialError,
    dtmf_schedule,
    parse_app_line,
    parse_app_spec,
    parse_dialstring,
    parse_vars,
    split_args,
)
from emulator.wire import CommandReader, url_encode

PROFILES = ("internal", "external")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b  c", ["a", "b", "c"]),
        (
            "{x='send_dtmf 123'}sofia/gateway/g/1 &park()",
            ["{x=send_dtmf 123}sofia/gateway/g/1", "&park()"],
        ),
        ("u 'bridge:user/1002@127.0.0.1' inline", ["u", "bridge:user/1002@127.0.0.1", "inline"]),
        ("u 'send_dtmf:123,park' inline", ["u", "send_dtmf:123,park", "inline"]),
        ("", []),
    ],
)
def test_arguments_split_on_spaces_outside_single_quotes(text, expected):
    assert split_args(text) == expected


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("a=b,c=d", {"a": "b", "c": "d"}),
        ("execute_on_answer='send_dtmf 123',x=1", {"execute_on_answer": "send_dtmf 123", "x": "1"}),
        ("^^:a=x,y:b=z", {"a": "x,y", "b": "z"}),
        ("novalue,=x,k=", {"k": ""}),
    ],
)
def test_variable_blocks(block, expected):
    assert parse_vars(block) == expected


def test_global_and_leg_blocks_merge_and_the_endpoint_is_parsed():
    ep = parse_dialstring("{a=1,b=2}[b=3]sofia/gateway/carrier/+15551234", PROFILES)
    assert (ep.kind, ep.gateway, ep.target) == ("gateway", "carrier", "+15551234")
    assert ep.variables == {"a": "1", "b": "3"}


@pytest.mark.parametrize(
    ("dial", "kind", "target", "host"),
    [
        ("sofia/internal/4008001234@127.0.0.1:5090", "sofia", "4008001234", "127.0.0.1:5090"),
        ("user/1000@example.com", "user", "1000", "example.com"),
        ("user/1000", "user", "1000", ""),
        ("sofia/internal/1000%127.0.0.1", "user", "1000", "127.0.0.1"),
        ("error/user_busy", "error", "USER_BUSY", ""),
    ],
)
def test_endpoints(dial, kind, target, host):
    ep = parse_dialstring(dial, PROFILES)
    assert (ep.kind, ep.target, ep.host) == (kind, target, host)


@pytest.mark.parametrize(
    ("dial", "cause"),
    [
        ("{origination_uuid=abc sofia/internal/1@h", "DESTINATION_OUT_OF_ORDER"),
        ("nosuchendpoint/foo", "CHAN_NOT_IMPLEMENTED"),
        ("sofia/noprofile/1@h", "INVALID_PROFILE"),
        ("sofia/gateway/onlygw", "INVALID_GATEWAY"),
    ],
)
def test_refused_dial_strings_name_freeswitchs_cause(dial, cause):
    with pytest.raises(DialError) as err:
        parse_dialstring(dial, PROFILES)
    assert err.value.cause == cause


def test_application_specs():
    assert parse_app_spec("&park()", "XML") == [App("park")]
    assert parse_app_spec("&bridge({x=1}sofia/gateway/g/1)", "XML") == [
        App("bridge", "{x=1}sofia/gateway/g/1")
    ]
    assert parse_app_spec("send_dtmf:123,park", "inline") == [App("send_dtmf", "123"), App("park")]
    assert parse_app_spec("m:^:set:a=1,2^park", "inline") == [App("set", "a=1,2"), App("park")]
    assert parse_app_spec("1000", "XML") is None
    assert parse_app_line("send_dtmf 123") == App("send_dtmf", "123")
    assert parse_app_line("send_dtmf:W5") == App("send_dtmf", "W5")


def test_dtmf_schedule_places_pauses_and_group_lengths():
    # Each digit holds the line for its tone + 280 ms (480 ms at @200, capture 34).
    tones, length = dtmf_schedule("1w2W3@200+45@100")
    assert [(t.digit, t.offset_ms, t.duration_ms) for t in tones] == [
        ("1", 0, 200), ("2", 980, 200), ("3", 2460, 200), ("4", 2940, 100), ("5", 3320, 100),
    ]  # fmt: skip
    assert length == 3700
    assert [t.digit for t in dtmf_schedule("1x#*a")[0]] == ["1", "#", "*", "A"]  # x is skipped
    assert dtmf_schedule("12345@200")[1] == 5 * 480


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("Fri, 27 Nov 2026 02:14:16 GMT", "Fri,%2027%20Nov%202026%2002%3A14%3A16%20GMT"),
        ("nosuchendpoint/foo &park()", "nosuchendpoint/foo%20%26park()"),
        ("{a=b}'x'~", "%7Ba%3Db%7D'x'~"),
        (
            '"" <sip:1000@127.0.0.1;transport=TCP>',
            "%22%22%20%3Csip%3A1000%40127.0.0.1%3Btransport%3DTCP%3E",
        ),
        ("é", "%C3%A9"),
    ],
)
def test_header_values_are_url_encoded_like_switch_url_encode(raw, encoded):
    assert url_encode(raw) == encoded


def test_command_reader_frames_split_and_pipelined_input():
    reader = CommandReader()
    data = (
        b"api status\n\nsendmsg u\ncontent-type: text/plain\ncontent-length: 3\n\n123"
        b"bgapi x\nJob-UUID: j\n\n"
    )
    got = []
    for i in range(len(data)):
        got += reader.feed(data[i : i + 1])
    assert [(c.line, c.body) for c in got] == [
        ("api status", ""),
        ("sendmsg u", "123"),
        ("bgapi x", ""),
    ]
    assert got[2].header("job-uuid") == "j"
