"""A comma in an extension is a phone's pause: rendered as the campaign's setting in W/w steps.

FreeSWITCH plays `W` as a 1 s and `w` as a 0.5 s pause; phones pause about 2 s per comma, so the
default renders a comma as `WW`. The stored extension keeps its commas; only the DTMF changes.
"""

from __future__ import annotations

import dataclasses

import pytest

from telephony.dialstring import DialstringError, describe_dtmf, dtmf_length_ms, render_dtmf
from telephony.originate import Mode, OriginateRequest, render_originate

RENDERED = [
    # extension, comma_ms, pause_ms -> DTMF
    (",204", 2000, 0, "WW204@200"),
    (",,204", 2000, 0, "WWWW204@200"),
    (",204", 500, 0, "w204@200"),
    (",204", 1500, 0, "Ww204@200"),
    (",204", 1700, 0, "Ww204@200"),  # rounded down: a pause never grows
    ("2,04", 1000, 500, "2W0w4@200"),  # a comma replaces the gap between two tones
    ("ww204", 2000, 0, "ww204@200"),  # w/W in the extension column stay FreeSWITCH's
]


@pytest.mark.parametrize(("extension", "comma_ms", "pause_ms", "expected"), RENDERED)
def test_each_comma_becomes_the_configured_pause(extension, comma_ms, pause_ms, expected):
    assert render_dtmf(extension, duration_ms=200, pause_ms=pause_ms, comma_ms=comma_ms) == (
        expected
    )


def test_the_default_comma_pause_is_a_phones_two_seconds():
    assert render_dtmf(",,5", duration_ms=100) == "WWWW5@100"


@pytest.mark.parametrize("comma_ms", [0, 499, 5001])
def test_a_comma_pause_out_of_range_is_refused(comma_ms):
    with pytest.raises(DialstringError) as caught:
        render_dtmf(",5", duration_ms=100, comma_ms=comma_ms)
    assert str(caught.value) == "comma pause must be 500 to 5000 ms"


@pytest.mark.parametrize(
    ("dtmf", "words"),
    [
        ("WW204@200", "wait 2 s, then press 204 (200 ms tones)"),
        ("Ww1w2#@100", "wait 1.5 s, then press 1, then wait 0.5 s, then press 2# (100 ms tones)"),
        ("204", "press 204 (100 ms tones)"),
    ],
)
def test_a_rendered_dtmf_string_reads_in_words(dtmf, words):
    assert describe_dtmf(dtmf) == words


def test_the_originate_sends_the_comma_pause_from_the_request_in_both_modes():
    request = OriginateRequest(
        mode=Mode.TARGET_FIRST,
        attempt_id=7,
        call_uuid="00000000-0000-4000-8000-000000000024",
        gateway="carrier1",
        number="+14008001234",
        agent_user="1002",
        agent_domain="10.0.0.5",
        timeout_s=20,
        extension=",,204",
        settle_ms=0,
        comma_ms=1500,
        b_leg_uuid="00000000-0000-4000-8000-000000000181",
    )
    command = render_originate(request)
    # Two commas at 1.5 s each, then the digits; the plan sleeps their rendered length before
    # the agent is dialled (issue 9: the digits are out before the bridge).
    assert "|send_dtmf:WwWw204@200|" in command
    assert f"|sleep:{dtmf_length_ms('WwWw204@200')}|" in command
    assert command.index("send_dtmf:") < command.index("bridge:")
    agent_first = render_originate(dataclasses.replace(request, mode=Mode.AGENT_FIRST))
    assert "execute_on_answer=send_dtmf:WwWw204@200}" in agent_first
