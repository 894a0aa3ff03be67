"""Every new campaign field of the media-aware connect is refused with an exact 400 when bad:
strict choices for the plan, the mode and the voicemail action, ranges for the listening
numbers, the prompt grammar for the voicemail message (hostile characters included)."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign

PROMPT = (
    "prompt must be tone:<on>/<off>/<hz>[+<hz>][x<loops>] or file:<path>.<wav|mp3|ogg|flac|gsm>"
)

CASES = [
    ({"connect_plan": "smart"}, {"connect_plan": ['"smart" is not a valid choice.']}),
    ({"connect_plan": "attendant\n"}, {"connect_plan": ['"attendant\n" is not a valid choice.']}),
    ({"connect_plan": "blind,attendant"},
     {"connect_plan": ['"blind,attendant" is not a valid choice.']}),
    ({"mode": "agent at hello"}, {"mode": ['"agent at hello" is not a valid choice.']}),
    ({"mode": "agent_first", "connect_plan": "attendant"}, {"connect_plan": [
        "agent_first sends the digits from the agent's leg: only 'blind' is possible."]}),
    ({"voicemail_action": "hangup|message"},
     {"voicemail_action": ['"hangup|message" is not a valid choice.']}),
    ({"listen_threshold": 10},
     {"listen_threshold": ["Ensure this value is greater than or equal to 50."]}),
    ({"listen_threshold": "200 25"}, {"listen_threshold": ["A valid integer is required."]}),
    ({"listen_silence_ms": 200},
     {"listen_silence_ms": ["Ensure this value is greater than or equal to 300."]}),
    ({"listen_silence_ms": 610},
     {"listen_silence_ms": ["Ensure this value is a multiple of step size 20."]}),
    ({"listen_hits": 0}, {"listen_hits": ["Ensure this value is greater than or equal to 1."]}),
    ({"listen_timeout_ms": 600_000},
     {"listen_timeout_ms": ["Ensure this value is less than or equal to 60000."]}),
    ({"person_max_ms": "1000,park"}, {"person_max_ms": ["A valid integer is required."]}),
    ({"ring_timeout_seconds": 3},
     {"ring_timeout_seconds": ["Ensure this value is greater than or equal to 6."]}),
    ({"voicemail_message": "tone:400/200/660'|hangup"}, {"voicemail_message": [PROMPT]}),
    ({"voicemail_message": "file:msg.wav\nbgapi originate"}, {"voicemail_message": [PROMPT]}),
    ({"voicemail_message": "file:a b.wav"}, {"voicemail_message": [PROMPT]}),
    ({"voicemail_message": "file:a.wav,park"}, {"voicemail_message": [PROMPT]}),
    ({"voicemail_message": "tone:1/2/3}&x"}, {"voicemail_message": [PROMPT]}),
]


@pytest.mark.parametrize(("changes", "errors"), CASES)
def test_a_bad_listening_field_is_refused_with_an_exact_error(
    as_supervisor, trunk, agent_group, changes, errors
):
    payload = {"name": "Autumn", "trunk": trunk.pk, "agent_group": agent_group.pk, **changes}

    response = as_supervisor.post("/api/campaigns/", payload, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert Campaign.objects.count() == 0


def test_good_listening_fields_are_stored(as_supervisor, trunk, agent_group):
    payload = {"name": "Autumn", "trunk": trunk.pk, "agent_group": agent_group.pk,
               "mode": "agent_at_hello", "connect_plan": "attendant", "listen_silence_ms": 700,
               "voicemail_action": "message", "voicemail_message": "file:sounds/vm.wav"}

    response = as_supervisor.post("/api/campaigns/", payload, format="json")

    assert response.status_code == 201, response.json()
    stored = Campaign.objects.get()
    assert (stored.mode, stored.connect_plan, stored.listen_silence_ms) == (
        "agent_at_hello", "attendant", 700)
