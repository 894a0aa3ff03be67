"""Caller ID number (digits, optional +) and name (a conservative charset) grammars."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, validate_caller_id_name, validate_caller_id_number

NUMBER_CHARSET = "caller ID number may contain only digits and a leading +"
NAME_CHARSET = (
    "caller ID name may contain only letters, digits, . _ - and single spaces between words"
)

VALID_NUMBERS = ["+14155550100", "4155550100", "0", "1" * 20]
INVALID_NUMBERS = [
    ("", "caller ID number is empty"),
    ("1" * 21, "caller ID number is longer than 20 characters"),
    ("1" * 100_000, "caller ID number is longer than 20 characters"),
    ("+", NUMBER_CHARSET),
    ("1+1", NUMBER_CHARSET),
    ("415 555", NUMBER_CHARSET),
    ("4155\n", NUMBER_CHARSET),
    ("4155\r", NUMBER_CHARSET),
    ("4155,1", NUMBER_CHARSET),
    ("4155}", NUMBER_CHARSET),
    ("{4155", NUMBER_CHARSET),
    ("4155'", NUMBER_CHARSET),
    ('4155"', NUMBER_CHARSET),
    ("4155&", NUMBER_CHARSET),
    ("4155|", NUMBER_CHARSET),
    ("4155^", NUMBER_CHARSET),
    ("4155$", NUMBER_CHARSET),
    ("4155%", NUMBER_CHARSET),
    ("١٢٣", NUMBER_CHARSET),
    (4155, "caller ID number must be text"),
]

VALID_NAMES = ["ACME", "ACME Sales", "J. Smith-Jones", "Team_2", "A" * 40]
INVALID_NAMES = [
    ("", "caller ID name is empty"),
    ("A" * 41, "caller ID name is longer than 40 characters"),
    ("A " * 50_000, "caller ID name is longer than 40 characters"),
    (" ACME", NAME_CHARSET),
    ("ACME ", NAME_CHARSET),
    ("ACME  Sales", NAME_CHARSET),
    ("ACME\tSales", NAME_CHARSET),
    ("ACME\n", NAME_CHARSET),
    ("ACME\r", NAME_CHARSET),
    ("ACME, Inc", NAME_CHARSET),
    ("ACME}", NAME_CHARSET),
    ("{ACME", NAME_CHARSET),
    ("O'Brien", NAME_CHARSET),
    ('"ACME"', NAME_CHARSET),
    ("A&B", NAME_CHARSET),
    ("A|B", NAME_CHARSET),
    ("A^B", NAME_CHARSET),
    ("${x}", NAME_CHARSET),
    ("100%", NAME_CHARSET),
    ("Zoë", NAME_CHARSET),
    ("١٢٣", NAME_CHARSET),
]


@pytest.mark.parametrize("value", VALID_NUMBERS)
def test_valid_caller_id_numbers_are_returned_unchanged(value):
    assert validate_caller_id_number(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID_NUMBERS)
def test_invalid_caller_id_numbers_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_caller_id_number(value)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", VALID_NAMES)
def test_valid_caller_id_names_are_returned_unchanged(value):
    assert validate_caller_id_name(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID_NAMES)
def test_invalid_caller_id_names_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_caller_id_name(value)
    assert str(caught.value) == message
