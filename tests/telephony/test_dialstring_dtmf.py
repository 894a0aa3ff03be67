"""The DTMF grammar (FreeSWITCH's send_dtmf string) and the renderer that produces it."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, render_dtmf, validate_dtmf

CHARSET = "DTMF may contain only 0-9 * # A-D, w/W pauses, @<ms> and +"
DURATION = "DTMF duration must be 50 to 2000 ms"

VALID = ["1", "567@200", "ww567@250", "12@100+34@200", "*#ABCD", "1" * 99, "1w2W3@2000", "9@50"]

INVALID = [
    ("", "DTMF is empty"),
    ("1" * 100, "DTMF is longer than 99 characters"),
    ("ww", "DTMF has pauses but no digits"),
    ("567@49", DURATION),
    ("567@2001", DURATION),
    ("567@", CHARSET),
    ("567@1e3", CHARSET),
    ("@200", CHARSET),
    ("12++34", CHARSET),
    ("~567", CHARSET),
    ("567\n", CHARSET),
    ("567\r", CHARSET),
    ("5,6", CHARSET),
    ("5}", CHARSET),
    ("{5", CHARSET),
    ("5'", CHARSET),
    ('5"', CHARSET),
    ("5 6", CHARSET),
    ("5&6", CHARSET),
    ("5|6", CHARSET),
    ("5^6", CHARSET),
    ("5$6", CHARSET),
    ("5%6", CHARSET),
    ("١٢٣", CHARSET),
    ("f", CHARSET),
]

RENDERED = [
    # extension, duration, pause -> DTMF string
    ("567", 200, 0, "567@200"),
    ("ww567", 250, 0, "ww567@250"),
    ("567", 200, 499, "567@200"),
    ("567", 200, 500, "5w6w7@200"),
    ("567", 200, 1500, "5Ww6Ww7@200"),
    ("5ww67", 100, 1000, "5ww6W7@100"),
]


@pytest.mark.parametrize("value", VALID)
def test_valid_dtmf_strings_are_returned_unchanged(value):
    assert validate_dtmf(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID)
def test_invalid_dtmf_strings_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_dtmf(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(("extension", "duration", "pause", "expected"), RENDERED)
def test_extensions_render_as_dtmf_with_duration_and_pause_steps(
    extension, duration, pause, expected
):
    assert render_dtmf(extension, duration_ms=duration, pause_ms=pause) == expected


@pytest.mark.parametrize(
    ("extension", "duration", "pause", "message"),
    [
        ("", 200, 0, "extension is empty"),
        ("5;6", 200, 0, "extension may contain only 0-9 * # A-D, commas and w/W pauses"),
        ("567", 10, 0, DURATION),
        ("567", 200, -1, "DTMF pause must not be negative"),
        ("1" * 32, 200, 5000, "DTMF is longer than 99 characters"),
    ],
)
def test_rendering_refuses_what_freeswitch_would_mangle(extension, duration, pause, message):
    with pytest.raises(DialstringError) as caught:
        render_dtmf(extension, duration_ms=duration, pause_ms=pause)
    assert str(caught.value) == message
