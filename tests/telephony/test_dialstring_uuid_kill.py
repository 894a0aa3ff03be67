"""`uuid_kill` for a supervisor's hangup: the uuid and the cause pass their grammars."""

import pytest

from telephony.dialstring import DialstringError, render_uuid_kill

UUID = "0b7c6a2e-4d1f-4e8a-9c3b-5a6d7e8f9a0b"


def test_renders_one_command_with_a_cause():
    assert render_uuid_kill(UUID) == f"uuid_kill {UUID} NORMAL_CLEARING"
    assert render_uuid_kill(UUID, "CALL_REJECTED") == f"uuid_kill {UUID} CALL_REJECTED"


@pytest.mark.parametrize(("value", "error"), [
    (f"{UUID}\nbgapi originate", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    (f"{UUID} NORMAL_CLEARING", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    (UUID.upper(), "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    ("all", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    ("", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
    (f"{UUID}'", "uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"),
])
def test_hostile_uuids_are_refused(value, error):
    with pytest.raises(DialstringError) as caught:
        render_uuid_kill(value)
    assert str(caught.value) == error


@pytest.mark.parametrize("cause", ["NORMAL_CLEARING\nexit", "normal_clearing", "X|Y", ""])
def test_hostile_causes_are_refused(cause):
    with pytest.raises(DialstringError) as caught:
        render_uuid_kill(UUID, cause)
    assert str(caught.value) == "hangup cause is not a FreeSWITCH cause name"
