"""FreeSWITCH uuids pass only in canonical lowercase 8-4-4-4-12 form."""

from __future__ import annotations

import uuid

import pytest

from telephony.dialstring import DialstringError, validate_uuid

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
        (GOOD_UUID * 10_000, UUID_FORMAT),
        (12, "uuid must be text"),
    ]
    + [(GOOD_UUID[:-1] + char, UUID_FORMAT) for char in HOSTILE],
)
def test_invalid_uuids_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_uuid(value)
    assert str(caught.value) == message
