"""switch_channel_handle_cause(): which failed-bridge causes hang the A leg up, table-driven.

From src/switch_channel.c (v1.10.12): with neither variable set, NO_ANSWER, NO_USER_RESPONSE and
ORIGINATOR_CANCEL continue and every other cause hangs up; `continue_on_fail` true or a list
naming the cause continues (and then NO_ANSWER no longer continues by itself); `failure_causes`
hangs up only on the causes it lists.
"""

from __future__ import annotations

import pytest

from emulator.apps import hangs_up_on


@pytest.mark.parametrize(
    ("variables", "cause", "hangs_up"),
    [
        ({}, "USER_BUSY", True),  # capture 26
        ({}, "NORMAL_TEMPORARY_FAILURE", True),  # capture 27
        ({}, "INVALID_GATEWAY", True),  # capture 33
        ({}, "NO_ANSWER", False),  # capture 29
        ({}, "NO_USER_RESPONSE", False),
        ({}, "ORIGINATOR_CANCEL", False),  # capture 28
        ({"continue_on_fail": "true"}, "USER_BUSY", False),  # captures 29b, 35
        ({"continue_on_fail": "false"}, "USER_BUSY", True),
        ({"continue_on_fail": "false"}, "NO_ANSWER", True),
        ({"continue_on_fail": "user_busy,normal_temporary_failure"}, "USER_BUSY", False),
        ({"continue_on_fail": "USER_BUSY"}, "NO_ANSWER", True),
        ({"continue_on_fail": "17,41"}, "NORMAL_TEMPORARY_FAILURE", False),  # cause numbers
        ({"continue_on_fail": "17"}, "CALL_REJECTED", True),
        ({"failure_causes": "USER_BUSY"}, "USER_BUSY", True),
        ({"failure_causes": "USER_BUSY"}, "NORMAL_TEMPORARY_FAILURE", False),
        ({"failure_causes": "NO_ANSWER"}, "NO_ANSWER", True),
        ({"failure_causes": "USER_BUSY", "continue_on_fail": "true"}, "USER_BUSY", False),
    ],
)
def test_failed_bridge_cause_hangs_up_or_continues(variables, cause, hangs_up):
    assert hangs_up_on(variables, cause) is hangs_up


def test_continue_on_fail_keeps_a_refused_callee_up_and_failure_causes_hangs_it_up(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)
    fs1.set_agent_phone(user="1001", kind="reject", sip_status="480")
    conn = esl()
    conn.cmd("event plain CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
    a, b = "00000000-0000-4000-8000-000000000401", "00000000-0000-4000-8000-000000000402"
    for uuid, extra in ((a, ""), (b, ",failure_causes=NO_USER_RESPONSE")):
        conn.cmd(
            f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true{extra}}}"
            "sofia/gateway/carrier1/+14157771001 'bridge:user/1001@127.0.0.1,park' inline"
        )
    parked = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    assert parked["Unique-ID"] == a  # 480 is NO_USER_RESPONSE: the plan goes on to park
    done = conn.wait_event(
        lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == b
    )
    assert done["Hangup-Cause"] == "NO_USER_RESPONSE"
    assert done["variable_DIALSTATUS"] == "NO_USER_RESPONSE"
    assert conn.api(f"uuid_exists {a}") == "true"
