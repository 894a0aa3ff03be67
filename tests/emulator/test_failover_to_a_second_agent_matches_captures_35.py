"""Failover of a parked callee to a second agent after a refused bridge (captures 35, 35b).

continue_on_fail keeps the callee up after agent 1001's 486 (the plan parks it); the dialer then
either transfers it into a new bridge (35) or originates the agent itself and uuid_bridges the
two parked legs (35b). park_after_bridge parks the callee again when that agent hangs up, and the
failed bridge's variables stay on the callee's events.
"""

from __future__ import annotations

from tests.emulator.calls import SUBSCRIBE, captured, event, events_of, picked, wait_gone
from tests.emulator.scenario import captured_sequence, sequence

A35 = "00000000-0000-4000-8000-000000000035"
A351 = "00000000-0000-4000-8000-000000000351"
B352 = "00000000-0000-4000-8000-000000000352"
C35 = "35-target-first-failover-uuid-transfer-second-agent.esl.txt"
C35B = "35b-target-first-failover-uuid-bridge-second-agent.esl.txt"

STICKY = (
    "variable_originate_disposition",
    "variable_DIALSTATUS",
    "variable_last_bridge_hangup_cause",
    "variable_originate_failed_cause",
    "variable_last_bridge_proto_specific_hangup_cause",
)


def _two_agents_first_refusing(cluster, conn, uuid: str, attempt: str) -> None:
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072)
    fs1.set_agent_phone(user="1001", kind="busy")
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true,attempt_id={attempt},"
        "continue_on_fail=true,park_after_bridge=true}sofia/gateway/carrier1/+14157775035 "
        "'sleep:100,send_dtmf:123@200,bridge:user/1001@127.0.0.1,park' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e["Unique-ID"] == uuid)


def test_uuid_transfer_bridges_the_parked_callee_to_a_second_agent_as_in_capture_35(cluster, esl):
    conn = esl()
    _two_agents_first_refusing(cluster, conn, A35, "35")
    park = event(events_of(conn), "CHANNEL_PARK", A35)
    assert picked(park, STICKY) == picked(captured(C35, "CHANNEL_PARK", A35), STICKY)
    assert conn.api(f"uuid_transfer {A35} 'bridge:user/1000@127.0.0.1' inline") == "+OK\n"
    bridge = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    # SUCCESS now, but the failed bridge's cause stays (capture 35).
    assert picked(bridge, STICKY) == picked(captured(C35, "CHANNEL_BRIDGE", A35), STICKY)
    b = bridge["Bridge-B-Unique-ID"]
    assert conn.api(f"uuid_kill {b}") == "+OK\n"
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e.get("Other-Leg-Unique-ID"))
    assert conn.api(f"uuid_exists {A35}") == "true"  # the callee is parked, not hung up
    assert conn.api(f"uuid_getvar {A35} last_bridge_hangup_cause") == "NORMAL_CLEARING"
    assert conn.api(f"uuid_kill {A35}") == "+OK\n"
    wait_gone(conn, A35)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C35)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A35)
    real = captured(C35, "CHANNEL_HANGUP_COMPLETE", A35)
    keys = (*STICKY, "Hangup-Cause", "variable_last_app")
    assert picked(done, keys) == picked(real, keys)
    assert done["Other-Leg-Unique-ID"] == b  # the last partner's headers stay


def test_uuid_bridge_joins_the_parked_callee_and_a_parked_agent_as_in_capture_35b(cluster, esl):
    conn = esl()
    _two_agents_first_refusing(cluster, conn, A351, "35b0")
    conn.cmd(
        f"bgapi originate {{origination_uuid={B352},ignore_early_media=true,attempt_id=35b1}}"
        "user/1000@127.0.0.1 &park()"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e["Unique-ID"] == B352)
    assert conn.api(f"uuid_bridge {A351} {B352}") == f"+OK {B352}\n"
    bridge = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    assert bridge["Bridge-B-Unique-ID"] == B352
    assert picked(bridge, STICKY) == picked(captured(C35B, "CHANNEL_BRIDGE", A351), STICKY)
    execute = event(events_of(conn), "CHANNEL_EXECUTE", B352, 1)
    assert (execute["Application"], execute["Application-Data"]) == ("uuid_bridge", A351)
    assert conn.api(f"uuid_kill {B352}") == "+OK\n"
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e.get("Other-Leg-Unique-ID"))
    assert conn.api(f"uuid_exists {A351}") == "true"
    assert conn.api(f"uuid_kill {A351}") == "+OK\n"
    wait_gone(conn, A351)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C35B)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A351)
    real = captured(C35B, "CHANNEL_HANGUP_COMPLETE", A351)
    assert picked(done, (*STICKY, "Hangup-Cause")) == picked(real, (*STICKY, "Hangup-Cause"))
