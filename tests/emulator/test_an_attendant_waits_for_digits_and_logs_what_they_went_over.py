"""An attendant scripted over HTTP waits for the extension before ringing it, and the channel's
media log says, digit by digit, whether it went out over the greeting."""

from __future__ import annotations

import pytest

from emulator.control import EmulatorControl, EmulatorControlError

ATTENDANT = [
    {"kind": "speech", "ms": 1200, "label": "greeting"},
    {"kind": "silence", "ms": 200},
    {"kind": "speech", "ms": 600, "label": "prompt"},
    {"kind": "await_digits", "digits": 2, "ms": 8000},
    {"kind": "silence", "ms": 300},
    {"kind": "ringback", "ms": 2000, "label": "ringback"},
    {"kind": "silence", "ms": 500},
    {"kind": "speech", "ms": 700, "label": "hello"},
]


@pytest.fixture
def ctl(cluster):
    return EmulatorControl(cluster.control_url)


def _call(conn, uuid: str, plan: str) -> None:
    conn.cmd("event plain CHANNEL_EXECUTE_COMPLETE DETECTED_TONE CHANNEL_PARK")
    conn.cmd(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true}}"
        f"sofia/gateway/carrier1/+14155550100 'm:|:{plan}' inline"
    )


def test_digits_after_the_prompt_ring_the_extension_and_none_goes_over_speech(cluster, ctl, esl):
    ctl.set_outcome("+14155550100", node="fs1", answer_ms=50, media=ATTENDANT)
    conn = esl()
    uuid = "00000000-0000-4000-8000-00000000a001"
    _call(conn, uuid, "wait_for_silence:200 25 10 10000|send_dtmf:12@100|"
          "tone_detect:rb_1 440,480 r +20|park")  # fmt: skip
    done = conn.wait_event(
        lambda e: e.get("Application") == "wait_for_silence"
        and e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE"
    )
    assert done["variable_wait_for_silence_timeout"] == "false"
    tone = conn.wait_event(lambda e: e["Event-Name"] == "DETECTED_TONE", timeout=10)
    assert tone["Detected-Tone"] == "rb_1" and "Unique-ID" not in tone
    copy = conn.wait_event(lambda e: e["Event-Name"] == "DETECTED_TONE" and "Unique-ID" in e)
    assert copy["Unique-ID"] == uuid and copy["Event-Sequence"] == tone["Event-Sequence"]
    media = ctl.media("fs1", uuid)
    assert [d["over"] for d in media["digits"]] == ["", ""]
    assert media["digits_over_sound"] == 0
    kinds = [s["kind"] for s in media["timeline"]]
    assert kinds[:5] == ["speech", "silence", "speech", "await_digits", "silence"]
    wait = media["timeline"][3]
    last_digit_end = media["digits"][-1]["played_at"] + 0.1
    assert abs(wait["end"] - last_digit_end) < 0.01  # the ringing starts after the extension


def test_digits_sent_blind_go_over_the_greeting_and_the_log_says_so(cluster, ctl, esl):
    ctl.set_outcome("+14155550100", node="fs1", answer_ms=50, media=ATTENDANT)
    conn = esl()
    uuid = "00000000-0000-4000-8000-00000000a002"
    _call(conn, uuid, "sleep:300|send_dtmf:12@100|park")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    media = ctl.media("fs1", uuid)
    assert [d["over"] for d in media["digits"]] == ["greeting", "greeting"]
    assert media["digits_over_sound"] == 2


def test_a_bad_media_script_is_a_400(ctl):
    with pytest.raises(EmulatorControlError) as err:
        ctl.set_outcome("+14155550100", node="fs1", media=[{"kind": "jazz", "ms": 10}])
    assert err.value.status == 400
    assert "unknown media segment kind 'jazz'" in str(err.value)
    with pytest.raises(EmulatorControlError) as err:
        ctl.set_outcome("+14155550100", node="fs1", media=[{"kind": "await_digits"}])
    assert "await_digits segment needs digits >= 1" in str(err.value)
