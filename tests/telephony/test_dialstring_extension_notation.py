"""Numbers written the way phones write an extension split into number and extension digits."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, split_extension

NOT_AN_EXTENSION = (
    "the text after the number is not an extension (0-9 * # A-D, with commas or p/w pauses)"
)

CASES = [
    ("4008001234", ("4008001234", "")),
    ("4008001234,567", ("4008001234", ",567")),
    ("4008001234,,567", ("4008001234", ",,567")),
    ("4008001234,567,8", ("4008001234", ",567,8")),
    ("4008001234 , 567", ("4008001234", ",567")),
    ("4008001234 ext 567", ("4008001234", "567")),
    ("4008001234 EXT. 567", ("4008001234", "567")),
    ("4008001234 extension 567", ("4008001234", "567")),
    ("4008001234 x567", ("4008001234", "567")),
    ("4008001234x567", ("4008001234", "567")),
    ("(400) 800-1234 x 12#", ("(400) 800-1234", "12#")),
    ("+1 400 800 1234;ext=99", ("+1 400 800 1234", "99")),
    ("1-800-TAXI", ("1-800-TAXI", "")),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_phone_notations_split_into_number_and_extension_with_pauses_kept(raw, expected):
    assert split_extension(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("4008001234,", "extension has pauses but no digits"),
        ("4008001234,567}", NOT_AN_EXTENSION),
        ("4008001234 ext 567\napi status", NOT_AN_EXTENSION),
        ("4008001234 x 5'6", NOT_AN_EXTENSION),
        ("4008001234 x ١٢٣", NOT_AN_EXTENSION),
        ("4008001234," + "1" * 40, "extension is longer than 32 characters"),
        (4008001234, "number must be text"),
    ],
)
def test_bad_extension_suffixes_are_refused_with_the_exact_message(raw, message):
    with pytest.raises(DialstringError) as caught:
        split_extension(raw)
    assert str(caught.value) == message
