"""telephony.listening: every number reaching wait_for_silence and tone_detect is range-checked,
plans render exactly, and the person/machine heuristic follows the captures' figures."""

from __future__ import annotations

import pytest

from telephony.dialstring import DialstringError
from telephony.listening import (
    Heard,
    Listening,
    Thresholds,
    attempt_of_ringback_key,
    attendant_apps,
    classify_listen,
    extension_stages,
    render_wait_for_silence,
    ringback_key,
    validate_connect_plan,
)
from telephony.originate import Mode, OriginateRequest, render_originate

UUID = "00000000-0000-4000-8000-000000000045"


@pytest.mark.parametrize(("listening", "error"), [
    (Listening(threshold=10), "threshold must be a whole number from 50 to 5000"),
    (Listening(silence_ms=100), "silence_ms must be a whole number from 300 to 3000"),
    (Listening(silence_ms=610), "silence_ms must be a multiple of 20"),
    (Listening(listen_hits=0), "listen_hits must be a whole number from 1 to 100"),
    (Listening(timeout_ms=10**9), "timeout_ms must be a whole number from 1000 to 60000"),
    (Listening(threshold="200 1 1 1|park"), "threshold must be a whole number from 50 to 5000"),  # type: ignore[arg-type]
    (Listening(threshold=True), "threshold must be a whole number from 50 to 5000"),
])
def test_out_of_range_or_non_integer_listening_is_refused(listening, error):
    with pytest.raises(DialstringError) as exc:
        render_wait_for_silence(listening)
    assert str(exc.value) == error


def test_wait_for_silence_renders_hits_from_milliseconds():
    assert render_wait_for_silence(Listening()) == "wait_for_silence:200 30 10 10000"
    assert render_wait_for_silence(Listening(silence_ms=500), 8000) == (
        "wait_for_silence:200 25 10 8000")


@pytest.mark.parametrize("plan", ["", "Blind", "attendant ", "blind\n", "blind|attendant",
                                  "attendant,park", "'blind'", "}", "&", None, 1])
def test_connect_plans_are_exact_names(plan):
    with pytest.raises(DialstringError):
        validate_connect_plan(plan)


@pytest.mark.parametrize(("extension", "stages"), [
    ("123", ["123"]), ("1,23", ["1", "23"]), (",,567", ["567"]), ("1,,2#", ["1", "2#"]),
    ("12w3", ["12w3"]),
])
def test_commas_separate_stages(extension, stages):
    assert extension_stages(extension) == stages


@pytest.mark.parametrize("extension", ["1\n2", "1|2", "1}2", "1'2", "1 2", "1&2"])
def test_hostile_extensions_never_become_stages(extension):
    with pytest.raises(DialstringError):
        extension_stages(extension)


def test_an_attendant_stage_marks_waits_sends_and_waits_its_digits_out():
    assert attendant_apps("1,23", Listening(), tone_ms=100, pause_ms=0, comma_ms=2000) == [
        "set:switchboard_stage=1", "wait_for_silence:200 30 10 10000", "send_dtmf:1@100",
        "sleep:380",
        "set:switchboard_stage=2", "wait_for_silence:200 30 10 10000", "send_dtmf:23@100",
        "sleep:760",
    ]


def test_ringback_keys_name_one_attempt_and_nothing_else():
    assert ringback_key(145) == "sbrb145"
    assert attempt_of_ringback_key("sbrb145") == 145
    for other in ("ringback", "sbrb", "sbrb1x", "sbrb" + "9" * 30, "vmbeep"):
        assert attempt_of_ringback_key(other) is None
    for bad in (0, -1, True, "1"):
        with pytest.raises(DialstringError):
            ringback_key(bad)  # type: ignore[arg-type]


def _request(**fields):
    base = dict(mode=Mode.AGENT_AT_HELLO, attempt_id=145, call_uuid=UUID, gateway="carrier1",
                number="+14157771045", agent_user="", agent_domain="", timeout_s=30,
                extension="123", tone_ms=200, connect_plan="attendant")
    base.update(fields)
    return OriginateRequest(**base)


def test_agent_at_hello_names_no_agent_and_listens_after_the_digits():
    command = render_originate(_request(thresholds=Thresholds(ring_timeout_s=12)))
    assert "user/" not in command and "bridge:" not in command
    plan = command.split("'m:|:")[1].removesuffix("' inline")
    apps = plan.split("|")
    assert apps[:6] == ["set:transfer_ringback=%(2000,4000,440,480)", "set:switchboard_stage=1",
                        "wait_for_silence:200 30 10 10000", "send_dtmf:123@200", "sleep:1440",
                        "set:switchboard_dtmf=sent"]
    assert apps[6:8] == ["avmd_start", "tone_detect:sbrb145 440,480 r +52"]
    assert apps[8:10] == ["set:switchboard_listen=1", "wait_for_silence:200 30 10 8000"]
    assert apps.count("wait_for_silence:200 30 10 8000") == 5 and apps[-1] == "park"


def test_agent_first_cannot_listen():
    with pytest.raises(DialstringError) as exc:
        render_originate(_request(mode=Mode.AGENT_FIRST, agent_user="1000",
                                  agent_domain="pbx.example.com", b_leg_uuid=UUID))
    assert str(exc.value) == "agent_first campaigns send the digits blind (connect plan blind)"


T = Thresholds()


@pytest.mark.parametrize(("hits", "timed_out", "tone", "ringing", "beep", "heard"), [
    (100, False, True, False, False, Heard.RINGBACK),  # a 2 s burst with the tone (45, 46)
    (100, False, False, True, False, Heard.RINGBACK),  # the cadence after a first burst
    (100, False, False, False, False, Heard.RINGBACK),  # a tone's exact 100 frames alone (47)
    (93, False, False, False, False, Heard.PERSON),  # speech is never that full
    (56, False, True, True, False, Heard.PERSON),  # "Hello? This is Bob." (46)
    (148, False, True, True, True, Heard.MACHINE),  # voicemail greeting and beep (45)
    (148, False, True, True, False, Heard.MACHINE),  # a long greeting without the beep yet
    (40, False, True, True, True, Heard.MACHINE),  # any beep is a machine
    (100, False, True, True, True, Heard.RINGBACK),  # avmd took a burst for a beep (lab)
    (100, False, True, False, True, Heard.RINGBACK),  # ...the first burst (lab)
    (1, True, True, True, False, Heard.NOTHING),  # silence after the ringback (46's last wait)
    (397, True, True, True, False, Heard.MACHINE),  # never paused after the ringing
    (397, True, False, False, False, Heard.NOTHING),  # the attendant still talking (44)
    (148, False, False, False, False, Heard.NOTHING),  # no ring yet: wait for the beep
    (148, False, False, False, True, Heard.MACHINE),  # ...which tells it
])
def test_classification_follows_the_captures(hits, timed_out, tone, ringing, beep, heard):
    assert classify_listen(hits, timed_out, tone_heard=tone, ringing_seen=ringing, beep=beep,
                           thresholds=T) == heard
