"""Channel variable names and the values of our own variables pass strict charsets."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, validate_var_name, validate_var_value

GOOD_UUID = "0d3c8f8e-8a0b-4f4e-9a57-2f1f6f0b1c2d"
HOSTILE = ["\n", "\r", ",", "}", "{", "'", '"', " ", "&", "|", "^", "$", "%", "١", ":", "="]

NAME_CHARSET = "variable name may contain only letters, digits and _"


@pytest.mark.parametrize("value", ["sb_attempt_id", "_x", "origination_uuid", "A1"])
def test_valid_variable_names_are_returned_unchanged(value):
    assert validate_var_name(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "variable name is empty"),
        ("a" * 65, "variable name is longer than 64 characters"),
        ("a" * 100_000, "variable name is longer than 64 characters"),
        ("1abc", NAME_CHARSET),
        ("sb-attempt", NAME_CHARSET),
    ]
    + [("sb_attempt" + char, NAME_CHARSET) for char in HOSTILE],
)
def test_invalid_variable_names_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_var_name(value)
    assert str(caught.value) == message


VALUE_CHARSET = "variable value may contain only letters, digits and _ . @ + / -"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12345", "12345"),
        (42, "42"),
        (True, "true"),
        (False, "false"),
        ("1000@example.com", "1000@example.com"),
        ("+14155550100", "+14155550100"),
        (GOOD_UUID, GOOD_UUID),
    ],
)
def test_valid_variable_values_are_rendered_as_text(value, expected):
    assert validate_var_value(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "variable value is empty"),
        ("a" * 129, "variable value is longer than 128 characters"),
        ("a" * 100_000, "variable value is longer than 128 characters"),
        (1.5, "variable value must be text"),
    ]
    + [("abc" + char + "def", VALUE_CHARSET) for char in HOSTILE],
)
def test_invalid_variable_values_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_var_value(value)
    assert str(caught.value) == message
