"""FreeSWITCH uuids, our own channel variable names and values, and hangup cause names."""

from __future__ import annotations

import uuid

import pytest

from telephony.dialstring import (
    DialstringError,
    validate_hangup_cause,
    validate_uuid,
    validate_var_name,
    validate_var_value,
)

UUID_FORMAT = "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"
GOOD_UUID = "0d3c8f8e-8a0b-4f4e-9a57-2f1f6f0b1c2d"
HOSTILE = ["\n", "\r", ",", "}", "{", "'", '"', " ", "&", "|", "^", "$", "%", "١", ":", "="]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(GOOD_UUID, GOOD_UUID), (uuid.UUID(GOOD_UUID), GOOD_UUID)],
)
def test_valid_uuids_are_returned_in_canonical_form(value, expected):
    assert validate_uuid(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", UUID_FORMAT),
        (GOOD_UUID.upper(), UUID_FORMAT),
        (GOOD_UUID.replace("-", ""), UUID_FORMAT),
        ("{" + GOOD_UUID + "}", UUID_FORMAT),
        (GOOD_UUID + "\napi status", UUID_FORMAT),
        (GOOD_UUID[:-1], UUID_FORMAT),
        (12, "uuid must be text"),
    ]
    + [(GOOD_UUID[:-1] + char, UUID_FORMAT) for char in HOSTILE],
)
def test_invalid_uuids_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_uuid(value)
    assert str(caught.value) == message


NAME_CHARSET = "variable name may contain only letters, digits and _"


@pytest.mark.parametrize("value", ["sb_attempt_id", "_x", "origination_uuid", "A1"])
def test_valid_variable_names_are_returned_unchanged(value):
    assert validate_var_name(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "variable name is empty"),
        ("a" * 65, "variable name is longer than 64 characters"),
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
        (1.5, "variable value must be text"),
    ]
    + [("abc" + char + "def", VALUE_CHARSET) for char in HOSTILE],
)
def test_invalid_variable_values_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_var_value(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "value", ["NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER", "UNALLOCATED_NUMBER", "MANAGER_REQUEST"]
)
def test_known_hangup_causes_are_accepted(value):
    assert validate_hangup_cause(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "normal_clearing",
        "NORMAL_CLEARING\n",
        "NORMAL_CLEARING api status",
        "BUSY",
        "17",
        "USER_BUSY,NO_ANSWER",
    ],
)
def test_unknown_hangup_causes_are_refused_with_the_exact_message(value):
    with pytest.raises(DialstringError) as caught:
        validate_hangup_cause(value)
    assert str(caught.value) == "hangup cause is not a FreeSWITCH cause name"
