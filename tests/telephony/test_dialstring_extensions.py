"""The extension grammar: keys 0-9 * # A-D with comma and w/W pauses, a tone, 32 at most."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, validate_extension

CHARSET = "extension may contain only 0-9 * # A-D, commas and w/W pauses"

VALID = ["", "567", "ww567", "1W2w3", "*72#", "ABCD", "0", "1" * 32, ",,567", "5,67"]

INVALID = [
    ("1" * 33, "extension is longer than 32 characters"),
    ("w", "extension has pauses but no digits"),
    ("wwWW", "extension has pauses but no digits"),
    ("567\n", CHARSET),
    ("567\r", CHARSET),
    (",,", "extension has pauses but no digits"),
    ("567}", CHARSET),
    ("{567", CHARSET),
    ("5'67", CHARSET),
    ('5"67', CHARSET),
    ("5 67", CHARSET),
    ("567&park()", CHARSET),
    ("567|1", CHARSET),
    ("5^67", CHARSET),
    ("5$67", CHARSET),
    ("5%67", CHARSET),
    ("١٢٣", CHARSET),
    ("abcd", CHARSET),
    ("E", CHARSET),
    ("567@200", CHARSET),
    ("5+6", CHARSET),
    ("p567", CHARSET),
    ("x" * 100_000, "extension is longer than 32 characters"),
    (567, "extension must be text"),
]


@pytest.mark.parametrize("value", VALID)
def test_valid_extensions_are_returned_unchanged(value):
    assert validate_extension(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID)
def test_invalid_extensions_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_extension(value)
    assert str(caught.value) == message
