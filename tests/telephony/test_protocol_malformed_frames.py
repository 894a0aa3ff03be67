"""Bytes that are not ESL raise ProtocolError; odd but legal frames parse."""

from __future__ import annotations

import pytest

from telephony.errors import ConnectionLost, ProtocolError
from telephony.protocol import Frame, FrameParser, parse_event, parse_plain_event, url_decode


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"Content-Type: api/response\nContent-Length: ten\n\n",
            "non-numeric Content-Length 'ten'",
        ),
        (b"Content-Type: api/response\nContent-Length: -4\n\n", "non-numeric Content-Length '-4'"),
        (
            b"Content-Type: api/response\nContent-Length: 1e3\n\n",
            "non-numeric Content-Length '1e3'",
        ),
        (b"Content-Type: api/response\nthis is not a header\n\n", "malformed ESL header line"),
        (b"Content-Type: api/response\n: empty name\n\n", "malformed ESL header line"),
    ],
)
def test_malformed_outer_headers_raise_protocol_error(data, message):
    with pytest.raises(ProtocolError) as caught:
        FrameParser().feed(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, ConnectionLost)
    assert caught.value.permanent is False


def test_an_absurd_content_length_is_refused_before_buffering_it():
    with pytest.raises(ProtocolError, match="exceeds"):
        FrameParser().feed(b"Content-Type: api/response\nContent-Length: 999999999999\n\n")


def test_a_header_block_that_never_ends_is_refused():
    parser = FrameParser()
    with pytest.raises(ProtocolError, match="header block too long"):
        for _ in range(200):
            parser.feed(b"X-Junk: " + b"a" * 10_000 + b"\n")


def test_disconnect_notice_without_content_length_is_one_frame():
    data = b"Content-Type: text/disconnect-notice\n\nContent-Type: auth/request\n\n"
    assert FrameParser().feed(data) == [
        Frame("text/disconnect-notice", {"Content-Type": "text/disconnect-notice"}),
        Frame("auth/request", {"Content-Type": "auth/request"}),
    ]


def test_rude_rejection_is_framed_with_its_body():
    data = b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
    (frame,) = FrameParser().feed(data)
    assert frame.content_type == "text/rude-rejection"
    assert frame.text() == "Access Denied, go away.\n"


def test_log_data_frames_keep_their_headers_and_body():
    body = b"2026-11-27 [NOTICE] switch_channel.c:1142 New Channel\n"
    data = (
        b"Content-Type: log/data\nContent-Length: %d\nLog-Level: 5\nText-Channel: 3\n"
        b"Log-File: switch_channel.c\nLog-Func: switch_channel_set_name\nLog-Line: 1142\n"
        b"User-Data: \n\n" % len(body)
    ) + body
    (frame,) = FrameParser().feed(data)
    assert frame.content_type == "log/data"
    assert frame.headers["Log-Level"] == "5"
    assert frame.headers["User-Data"] == ""
    assert frame.body == body


def test_content_length_counts_bytes_not_characters():
    body = "caf\u00e9 \u2603\n".encode()
    data = (
        b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body)
        + body
        + b"Content-Type: auth/request\n\n"
    )
    first, second = FrameParser().feed(data)
    assert first.text() == "caf\u00e9 \u2603\n"
    assert second.content_type == "auth/request"


def test_a_malformed_event_header_line_raises_protocol_error():
    with pytest.raises(ProtocolError, match="malformed event header line 'garbage'"):
        parse_plain_event(b"Event-Name: HEARTBEAT\ngarbage\n\n")


def test_invalid_json_event_raises_protocol_error():
    frame = Frame("text/event-json", {"Content-Type": "text/event-json"}, b'{"Event-Name": ')
    with pytest.raises(ProtocolError, match="invalid JSON event"):
        parse_event(frame)


def test_values_are_decoded_after_splitting_so_an_encoded_newline_stays_in_its_value():
    event = parse_plain_event(
        b"Event-Name: CUSTOM\nEvent-Subclass: x%3A%3Ay\nNote: a%0AFake-Header: b\n"
        b"Percent: 100%25\nRaw-Percent: 5%\nNul: a%00b\n\n"
    )
    assert event.subclass == "x::y"
    assert event.get("Note") == "a\nFake-Header: b"
    assert event.get("Fake-Header") is None
    assert event.get("Percent") == "100%"
    assert event.get("Raw-Percent") == "5%"
    assert event.get("Nul") == "a\x00b"


def test_url_decode_handles_utf8_and_bad_escapes():
    assert url_decode(b"caf%C3%A9%20ok") == "caf\u00e9 ok".encode()
    assert url_decode(b"%zz%4") == b"%zz%4"
    assert url_decode(b"a%2fb%2F") == b"a/b/"


def test_event_with_an_inner_body_stops_at_the_inner_content_length():
    event = parse_plain_event(
        b"Event-Name: BACKGROUND_JOB\nEvent-Sequence: 7\nJob-UUID: j1\n"
        b"Content-Length: 4\n\n+OK\nextra"
    )
    assert event.body == "+OK\n"
    assert event.sequence == 7


def test_url_decode_keeps_backslashes_and_raw_high_bytes():
    assert url_decode(b"C:\\\\x41%5Cn %41") == b"C:\\\\x41\\n A"
    assert url_decode("caf\u00e9%20".encode()) == "caf\u00e9 ".encode()
    assert url_decode(b"100%") == b"100%"


def test_a_sequence_of_non_ascii_digits_is_no_sequence():
    # "\u00b2".isdigit() is True but int() refuses it: the parser must not raise ValueError.
    event = parse_plain_event(b"Event-Name: HEARTBEAT\nEvent-Sequence: %C2%B2\n\n")

    assert event.sequence is None
