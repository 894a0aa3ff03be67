"""A stored extension reads as words where people see it: `w187` is "wait 0.5 s, press 187"."""

from __future__ import annotations

import pytest

from telephony.dialstring import describe_extension

CASES = [
    ("187", "press 187"),
    ("w187", "wait 0.5 s, press 187"),
    ("ww12#", "wait 1 s, press 12#"),
    ("W2w3", "wait 1 s, press 2, wait 0.5 s, press 3"),
    ("WWw*9", "wait 2.5 s, press *9"),
    (",,204", "pause x2, press 204"),
    ("1,2", "press 1, pause, press 2"),
    ("", ""),
]


@pytest.mark.parametrize(("stored", "words"), CASES)
def test_describe_extension(stored, words):
    assert describe_extension(stored) == words
