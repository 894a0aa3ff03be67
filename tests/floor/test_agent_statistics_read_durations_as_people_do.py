"""Agent statistics show time spans as people read them (4 min 12 s, 1 h 01 min), never to the
second of an hour-long figure."""

from __future__ import annotations

import pytest

from campaigns.templatetags.durations import duration


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (0, "0 s"), (44.6, "45 s"), (60, "1 min"), (252, "4 min 12 s"),
    (3599.6, "1 h 00 min"), (3671.25, "1 h 01 min"), (36000, "10 h 00 min"),
])
def test_duration(seconds, text):
    assert duration(seconds) == text
