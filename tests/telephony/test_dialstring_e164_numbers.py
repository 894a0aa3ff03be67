"""The E.164 grammar accepts + and 8-15 ASCII digits and refuses everything else exactly."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, validate_e164

FORMAT = "number must be + and 8 to 15 digits, the first not 0"

VALID = ["+14155550100", "+4930123456", "+12345678", "+123456789012345", "+861012345678"]

INVALID = [
    ("", "number is empty"),
    ("14155550100", FORMAT),
    ("+1234567", FORMAT),
    ("+1234567890123456", FORMAT),
    ("+04155550100", FORMAT),
    ("+1 415 555 0100", FORMAT),
    ("+1-415-555-0100", FORMAT),
    ("+14155550100\n", FORMAT),
    ("+14155550100\r\napi status", FORMAT),
    ("+14155550100,567", FORMAT),
    ("+14155550100}", FORMAT),
    ("{+14155550100", FORMAT),
    ("+14155550100'", FORMAT),
    ('+14155550100"', FORMAT),
    ("+14155550100&park()", FORMAT),
    ("+14155550100|+14155550101", FORMAT),
    ("+14155550100^", FORMAT),
    ("+1415555${x}", FORMAT),
    ("+14155550100%", FORMAT),
    ("+١٢٣٤٥٦٧٨٩٠", FORMAT),
    ("+１４１５５５５０１００", FORMAT),
    ("+" + "1" * 10_000, FORMAT),
    ("++14155550100", FORMAT),
    (" +14155550100", FORMAT),
    (14155550100, "number must be text"),
    (None, "number must be text"),
]


@pytest.mark.parametrize("value", VALID)
def test_valid_e164_numbers_are_returned_unchanged(value):
    assert validate_e164(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID)
def test_invalid_e164_numbers_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_e164(value)
    assert str(caught.value) == message
