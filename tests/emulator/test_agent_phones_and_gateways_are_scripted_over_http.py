"""Agent phones and a node's gateways scripted through the HTTP control API, as dialer tests do."""

from __future__ import annotations

import pytest

from emulator.control import EmulatorControl, EmulatorControlError


@pytest.fixture
def two(make_cluster):
    return make_cluster(nodes=2)


@pytest.fixture
def ctl(two):
    return EmulatorControl(two.control_url)


def test_a_refusing_phone_on_every_node_makes_agent_first_originates_user_busy(two, ctl, esl_on):
    for node in ("fs1", "fs2"):
        ctl.register_agent(node, "1001", transport="tcp")
    ctl.set_agent_phone("1001", kind="busy")
    assert ctl.get("fs2", "agent_phones") == {
        "1001": {"kind": "busy", "answer_ms": None, "ring_ms": 10, "fail_ms": 20, "sip_status": ""}
    }
    for node in ("fs1", "fs2"):
        assert esl_on(two, node).api("originate user/1001 &park()") == "-ERR USER_BUSY\n"
    ctl.post("fs2", "clear_agent_phones")
    assert esl_on(two, "fs2").api("originate user/1001 &park()").startswith("+OK ")
    assert esl_on(two, "fs1").api("originate user/1001 &park()") == "-ERR USER_BUSY\n"


def test_bad_phone_scripts_and_gateway_lists_are_400s(ctl):
    with pytest.raises(EmulatorControlError) as err:
        ctl.set_agent_phone("1001", kind="on_fire", node="fs1")
    assert err.value.status == 400
    assert "unknown phone kind 'on_fire'" in str(err.value)
    with pytest.raises(EmulatorControlError) as err:
        ctl.set_agent_phone("1001", kind="reject", node="fs1")  # needs a sip_status
    assert err.value.status == 400
    with pytest.raises(EmulatorControlError) as err:
        ctl.post("fs1", "set_gateways", gateways="carrier1")
    assert err.value.status == 400


def test_a_gateway_missing_on_one_node_is_invalid_there_only(two, ctl, esl_on):
    ctl.post("fs1", "set_gateways", gateways=["carrier2"])
    dial = "originate sofia/gateway/carrier1/+14157771001 &park()"
    assert esl_on(two, "fs1").api(dial) == "-ERR INVALID_GATEWAY\n"
    assert esl_on(two, "fs2").api(dial).startswith("+OK ")
    assert ctl.get("fs1", "directory")["gateways"] == ["carrier2"]
