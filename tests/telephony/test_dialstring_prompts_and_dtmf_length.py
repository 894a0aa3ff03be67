"""The abandon-message grammar (a tone or a sound file, nothing else reaches the inline plan)
and the rendered length of a DTMF string (capture 34: a digit every tone + 280 ms)."""

from __future__ import annotations

import pytest

from telephony.dialstring import (
    DialstringError,
    dtmf_length_ms,
    prompt_length_ms,
    render_prompt,
    validate_prompt,
)

SHAPE = ("prompt must be tone:<on>/<off>/<hz>[+<hz>][x<loops>] or "
         "file:<path>.<wav|mp3|ogg|flac|gsm>")


@pytest.mark.parametrize(("prompt", "rendered", "length"), [
    ("tone:500/500/480+620x4", "tone_stream://%(500,500,480,620);loops=4", 4000),
    ("tone:1000/4000/440", "tone_stream://%(1000,4000,440);loops=1", 5000),
    ("file:/usr/share/freeswitch/sounds/abandon.wav",
     "/usr/share/freeswitch/sounds/abandon.wav", None),
    ("file:ivr/ivr-call_cannot_be_completed_as_dialed.wav",
     "ivr/ivr-call_cannot_be_completed_as_dialed.wav", None),
])
def test_valid_prompts_render_for_playback(prompt, rendered, length):
    assert render_prompt(prompt) == rendered
    assert prompt_length_ms(prompt) == length


@pytest.mark.parametrize(("prompt", "message"), [
    ("", "prompt is empty"),
    ("tone:500/500/480|hangup", SHAPE),
    ("tone:500/500/480,park", SHAPE),
    ("tone:5/500/480", "tone on/off times must be 10 to 10000 ms"),
    ("tone:500/500/10", "tone frequencies must be 20 to 4000 Hz"),
    ("tone:500/500/480x0", "tone loops must be 1 to 20"),
    ("file:../etc/passwd.wav", "prompt file path may not contain . or .. segments"),
    ("file:/a/../b.wav", "prompt file path may not contain . or .. segments"),
    ("file:/a b.wav", SHAPE),
    ("file:/a.wav'\nexit", SHAPE),
    ("file:/a.wav}", SHAPE),
    ("file:/a.exe", SHAPE),
    ("file:${base_dir}/a.wav", SHAPE),
    ("tone_stream://%(500,500,480);loops=2", SHAPE),
    ("x" * 201, "prompt is longer than 200 characters"),
])
def test_hostile_or_malformed_prompts_are_refused(prompt, message):
    with pytest.raises(DialstringError) as caught:
        validate_prompt(prompt)
    assert str(caught.value) == message


@pytest.mark.parametrize(("dtmf", "ms"), [
    ("12345@200", 2400),  # capture 34: sleep:2400 put every digit out before the bridge
    ("123@200", 1440),
    ("Ww567@200", 1500 + 1440),
    ("1w2W3@100", 3 * 380 + 1500),
    ("1", 530),  # FreeSWITCH's default tone length (250 ms) without @<ms>
    ("12@100+3@300", 2 * 380 + 580),
])
def test_dtmf_length_is_tones_gaps_and_pauses(dtmf, ms):
    assert dtmf_length_ms(dtmf) == ms
