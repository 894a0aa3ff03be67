"""Campaign.dtmf_for renders an extension with the campaign's tone length and pause steps."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from telephony.dialstring import DialstringError, validate_dtmf


@pytest.mark.parametrize(
    ("duration", "pause", "extension", "expected"),
    [
        (200, 0, "", ""),
        (200, 0, "567", "567@200"),
        (250, 0, "ww567", "ww567@250"),
        (100, 500, "12#", "1w2w#@100"),
        (100, 2500, "12", "1WWw2@100"),
        (100, 700, "1", "1@100"),
    ],
)
def test_an_extension_becomes_the_dtmf_string_the_dispatcher_sends(
    duration, pause, extension, expected
):
    made = Campaign(dtmf_duration_ms=duration, dtmf_pause_ms=pause)
    rendered = made.dtmf_for(extension)
    assert rendered == expected
    if rendered:
        assert validate_dtmf(rendered) == rendered


def test_a_rendering_longer_than_freeswitch_accepts_is_refused():
    with pytest.raises(DialstringError) as caught:
        Campaign(dtmf_duration_ms=200, dtmf_pause_ms=5000).dtmf_for("12345678901234567890")
    assert str(caught.value) == "DTMF is longer than 99 characters"
