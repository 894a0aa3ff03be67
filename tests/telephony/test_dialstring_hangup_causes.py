"""Hangup causes pass only as names from FreeSWITCH's own cause table."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError, validate_hangup_cause


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
        "A" * 100_000,
    ],
)
def test_unknown_hangup_causes_are_refused_with_the_exact_message(value):
    with pytest.raises(DialstringError) as caught:
        validate_hangup_cause(value)
    assert str(caught.value) == "hangup cause is not a FreeSWITCH cause name"
