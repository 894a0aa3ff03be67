"""The HTTP control API through EmulatorControl, as the demo and other processes use it."""

from __future__ import annotations

import time

import pytest

from emulator.control import EmulatorControl, EmulatorControlError


@pytest.fixture
def two(make_cluster):
    return make_cluster(nodes=2)


@pytest.fixture
def ctl(two):
    return EmulatorControl(two.control_url)


def test_nodes_lists_every_node_with_its_port_and_core_uuid(two, ctl):
    nodes = ctl.nodes()
    assert sorted(nodes) == ["fs1", "fs2"]
    assert nodes["fs1"]["port"] == two.ports["fs1"]
    assert nodes["fs1"]["core_uuid"] != nodes["fs2"]["core_uuid"]


def test_scripted_outcome_over_http_changes_what_the_node_does(two, ctl, esl_on):
    ctl.set_outcome("4008*", node="fs2", kind="busy")
    conn = esl_on(two, "fs2")
    assert conn.api("originate sofia/gateway/gw/4008123 &park()") == "-ERR USER_BUSY\n"
    other = esl_on(two, "fs1")
    assert other.api("originate {origination_uuid=x-1}sofia/gateway/gw/4008123 &park()") == (
        "+OK x-1\n"
    )
    assert ctl.get("fs2", "outcomes")["prefixes"]["4008*"]["kind"] == "busy"


def test_commands_since_returns_only_newer_commands_with_connection_ids(two, ctl, esl_on):
    conn = esl_on(two, "fs1")
    conn.api("status")
    mark = time.time()
    time.sleep(0.01)
    conn.api("version")
    newer = ctl.commands("fs1", since=mark)
    assert [c["command"] for c in newer] == ["api version"]
    assert newer[0]["conn"] == ctl.commands("fs1")[0]["conn"]


def test_agents_lifecycle_and_channels_over_http(two, ctl, esl_on):
    row = ctl.register_agent("fs1", "1000", transport="tcp", expires=120)
    assert row["expsecs"] in (179, 180)
    assert [a["user"] for a in ctl.get("fs1", "agents")] == ["1000"]
    conn = esl_on(two, "fs1")
    conn.api("originate {origination_uuid=call-1}user/1000 &park()")
    chans = ctl.channels("fs1", live=True, events=True)
    assert [c["uuid"] for c in chans] == ["call-1"]
    assert "CHANNEL_ANSWER" in [name for _t, name in chans[0]["events"]]
    assert ctl.post("fs1", "far_end_hangup", uuid="call-1") == {"ok": True}
    assert ctl.channel("fs1", "call-1")["hangup_cause"] == "NORMAL_CLEARING"
    assert ctl.drop_agent("fs1", "1000") == {"event": "sofia::unregister"}
    assert ctl.lifecycle("fs2", "hang") == {"hung": True}
    assert ctl.stats("fs2")["hung"] is True
    assert ctl.reset_records("fs1") == {"ok": True}
    assert ctl.commands("fs1") == []


def test_bad_requests_are_refused_with_400_and_a_message(ctl):
    with pytest.raises(EmulatorControlError) as err:
        ctl.set_outcome("4008*", node="fs1", kind="explode")
    assert err.value.status == 400
    assert "unknown outcome kind" in str(err.value)
    with pytest.raises(EmulatorControlError) as err:
        ctl.post("fs1", "no_such_operation")
    assert err.value.status == 400
    with pytest.raises(EmulatorControlError) as err:
        ctl.unregister_agent("fs1", "4242")
    assert "not registered" in str(err.value)
    with pytest.raises(EmulatorControlError) as err:
        ctl.get("fs9", "stats")
    assert err.value.status == 404


def test_the_password_never_appears_in_the_control_api(ctl):
    assert "ClueCon" not in str(ctl.nodes())
