"""A Call-ID goes back to the node (`flush_inbound_reg <call-id>`) only if it is one plain word."""

import pytest

from telephony.registrations import safe_call_id


@pytest.mark.parametrize("call_id", [
    "1-21098@127.0.0.1", "a84b4c76e66710@pc33.atlanta.com", "3848276298220188511@atlanta.example",
    "YzI0NDk1ZmEtNDYyMS00ZDgx!%*_+~:=-", "x" * 255,
])
def test_ordinary_call_ids_pass(call_id):
    assert safe_call_id(call_id) is True


@pytest.mark.parametrize("call_id", [
    "", "x" * 256, "abc\n\nsendmsg", "abc\napi fsctl shutdown", "a b", "a\tb", "-leading",
    "ab\r", "quote'd", 'quo"te', "semi;colon", "<angle>", "{brace}", "back\\slash", "caf\u00e9",
    "a\x00b", "reboot now",
])
def test_hostile_or_odd_call_ids_are_refused(call_id):
    assert safe_call_id(call_id) is False
