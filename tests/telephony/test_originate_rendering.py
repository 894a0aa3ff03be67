"""The originate renderer: exact commands for both modes; hostile values refused first."""

from __future__ import annotations

import dataclasses

import pytest

from emulator.dialplan import parse_app_spec, parse_dialstring, split_args
from telephony.dialstring import DialstringError
from telephony.originate import Mode, OriginateRequest, render_originate

A = "00000000-0000-4000-8000-000000000024"
B = "00000000-0000-4000-8000-000000000181"

BASE = OriginateRequest(
    mode=Mode.TARGET_FIRST,
    attempt_id=77,
    call_uuid=A,
    gateway="carrier1",
    number="+14008001234",
    agent_user="1002",
    agent_domain="10.0.0.5",
    timeout_s=20,
    extension="567",
    settle_ms=1000,
    tone_ms=200,
    caller_id_number="+14155550100",
    b_leg_uuid=B,
)


RING = "set:transfer_ringback=%(2000,4000,440,480)"
FALLBACK = ("bridge:{leg_timeout=15}user/1002@10.0.0.5|"
            "playback:tone_stream://%(2000,4000,440,480);loops=3|"
            "playback:tone_stream://%(2000,0,440,480)|"
            "playback:tone_stream://%(500,500,480,620);loops=4|set:switchboard_abandon=played|"
            "hangup:NORMAL_CLEARING")


def test_target_first_renders_inline_plan_with_sleep_dtmf_then_bridge():
    """Ringback, settle, digits, a sleep of their rendered length (3 x 480 ms, capture 34), the
    sent mark, the agent with a ring timeout, the hold, the abandon message, a normal hangup."""
    assert render_originate(BASE) == (
        "originate {origination_uuid=00000000-0000-4000-8000-000000000024,originate_timeout=20,"
        "attempt_id=77,ignore_early_media=true,origination_caller_id_number=+14155550100,"
        "continue_on_fail=true,hangup_after_bridge=true}"
        "sofia/gateway/carrier1/+14008001234 "
        f"'m:|:{RING}|sleep:1000|send_dtmf:567@200|sleep:1440|set:switchboard_dtmf=sent|"
        f"{FALLBACK}' inline"
    )


def test_agent_first_rings_the_agent_and_sends_digits_on_the_far_answer():
    request = dataclasses.replace(BASE, mode=Mode.AGENT_FIRST, settle_ms=1500, dial_prefix="9")
    # The agent's phone rings for the agent ring timeout (15 s), the target's for 20 s.
    assert render_originate(request) == (
        "originate {origination_uuid=00000000-0000-4000-8000-000000000024,originate_timeout=15,"
        "attempt_id=77,ignore_early_media=true,origination_caller_id_number=+14155550100}"
        "user/1002@10.0.0.5 &bridge({origination_uuid=00000000-0000-4000-8000-000000000181,"
        "originate_timeout=20,attempt_leg=target,attempt_id=77,ignore_early_media=true,"
        "origination_caller_id_number=+14155550100,execute_on_answer=send_dtmf:Ww567@200}"
        "sofia/gateway/carrier1/9+14008001234)"
    )


def test_no_extension_means_no_dtmf_and_no_settle_sleep():
    request = dataclasses.replace(BASE, extension="", caller_id_number="")
    assert render_originate(request).endswith(
        f"sofia/gateway/carrier1/+14008001234 'm:|:{RING}|{FALLBACK}' inline"
    )


def test_pauses_between_digits_and_a_spaced_caller_name_are_rendered_safely():
    request = dataclasses.replace(
        BASE, extension="1w23", pause_ms=1000, caller_id_name="Acme Sales", settle_ms=0
    )
    command = render_originate(request)
    assert "origination_caller_id_name='Acme Sales'" in command
    # 1, w, 2, W, 3: three tones of 200 + 280 ms, a 0.5 s and a 1 s pause.
    assert f"|send_dtmf:1w2W3@200|sleep:2940|set:switchboard_dtmf=sent|{FALLBACK}' inline" in (
        command)


@pytest.mark.parametrize("mode", [Mode.TARGET_FIRST, Mode.AGENT_FIRST])
def test_rendered_command_parses_back_into_exactly_the_intended_legs(mode):
    """FreeSWITCH's own argument splitting (mirrored by the emulator) sees one leg and one plan."""
    request = dataclasses.replace(BASE, mode=mode, caller_id_name="Acme Sales")
    args = split_args(render_originate(request).removeprefix("originate "))
    leg = parse_dialstring(args[0], ("internal",))
    if mode is Mode.TARGET_FIRST:
        assert len(args) == 3 and args[2] == "inline"
        assert (leg.kind, leg.gateway, leg.target) == ("gateway", "carrier1", "+14008001234")
        apps = parse_app_spec(args[1], args[2])
        assert [(a.name, a.arg) for a in apps] == [
            ("set", "transfer_ringback=%(2000,4000,440,480)"),
            ("sleep", "1000"), ("send_dtmf", "567@200"), ("sleep", "1440"),
            ("set", "switchboard_dtmf=sent"),
            ("bridge", "{leg_timeout=15}user/1002@10.0.0.5"),
            ("playback", "tone_stream://%(2000,4000,440,480);loops=3"),
            ("playback", "tone_stream://%(2000,0,440,480)"),
            ("playback", "tone_stream://%(500,500,480,620);loops=4"),
            ("set", "switchboard_abandon=played"),
            ("hangup", "NORMAL_CLEARING"),
        ]
    else:
        assert len(args) == 2
        assert (leg.kind, leg.target, leg.host) == ("user", "1002", "10.0.0.5")
        (bridge,) = parse_app_spec(args[1], "")
        b_leg = parse_dialstring(bridge.arg, ("internal",))
        assert b_leg.variables["execute_on_answer"] == "send_dtmf:W567@200"
        assert b_leg.variables["origination_caller_id_name"] == "Acme Sales"
    assert leg.variables["origination_uuid"] == A
    assert leg.variables["attempt_id"] == "77"


NUMBER = "number must be + and 8 to 15 digits, the first not 0"
HOSTILE = [
    ("number", "+14008001234\nbgapi hupall", NUMBER),
    ("number", "+14008001234,+14009999999", NUMBER),
    ("number", "+1400800123|error/x", NUMBER),
    ("number", "+١٤٠٠٨٠٠١٢٣٤", NUMBER),
    ("extension", "567,park", "extension may contain only 0-9 * # A-D, commas and w/W pauses"),
    ("extension", "567}&park(", "extension may contain only 0-9 * # A-D, commas and w/W pauses"),
    ("extension", "5' inline\nexit",
     "extension may contain only 0-9 * # A-D, commas and w/W pauses"),
    ("gateway", "gw}user/1000", "gateway name may contain only letters, digits, . _ - "
     "and must start with a letter or digit"),
    ("gateway", "gw name", "gateway name may contain only letters, digits, . _ - "
     "and must start with a letter or digit"),
    ("agent_user", "1002@evil,user/1003", "SIP user may contain only letters, digits, . _ - "
     "and must start with a letter or digit"),
    ("agent_domain", "dom&park()", "SIP domain must be a host name or an IPv4 address"),
    ("caller_id_number", "+1415'}x", "caller ID number may contain only digits and a leading +"),
    ("caller_id_name", "Acme',execute_on_answer='hupall", "caller ID name may contain only "
     "letters, digits, . _ - and single spaces between words"),
    ("caller_id_name", "Acme  Sales", "caller ID name may contain only letters, digits, . _ - "
     "and single spaces between words"),
    ("call_uuid", "not-a-uuid}", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    ("dial_prefix", "9;x", "dial prefix may contain only the digits 0-9"),
    ("tone_ms", 5, "DTMF duration must be 50 to 2000 ms"),
    ("timeout_s", 0, "originate timeout must be a whole number from 1 to 600"),
    ("settle_ms", -1, "DTMF settle delay must be a whole number from 0 to 30000"),
    ("attempt_id", "77,x=y", "attempt id must be a whole number from 1 to 9223372036854775807"),
    ("extra_vars", (("a=b", "c"),), "variable name may contain only letters, digits and _"),
    ("extra_vars", (("tag", "x,y"),),
     "variable value may contain only letters, digits and _ . @ + / -"),
]


@pytest.mark.parametrize("mode", [Mode.TARGET_FIRST, Mode.AGENT_FIRST])
@pytest.mark.parametrize(("field", "value", "message"), HOSTILE)
def test_hostile_values_are_refused_by_the_grammar_before_rendering(mode, field, value, message):
    request = dataclasses.replace(BASE, mode=mode, **{field: value})
    with pytest.raises(DialstringError) as caught:
        render_originate(request)
    assert str(caught.value) == message


def test_agent_first_without_a_b_leg_uuid_is_refused():
    request = dataclasses.replace(BASE, mode=Mode.AGENT_FIRST, b_leg_uuid="")
    with pytest.raises(DialstringError) as caught:
        render_originate(request)
    assert str(caught.value) == "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"
