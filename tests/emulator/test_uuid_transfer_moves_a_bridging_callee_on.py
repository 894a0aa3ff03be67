"""uuid_transfer of a callee whose bridge rings or is up: the old agent leg goes, the new plan runs.

A dialer that fails over by transfer must never see the old plan resume or the callee hung up.
"""

from __future__ import annotations

from tests.emulator.calls import SUBSCRIBE, event, events_of, wait_gone

A = "00000000-0000-4000-8000-000000000036"


def _callee_bridging_to(conn, agent: str) -> None:
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        f"sofia/gateway/carrier1/+14157771003 'bridge:user/{agent}@127.0.0.1,hangup' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_CREATE" and e["Unique-ID"] != A)


def test_transfer_while_the_agent_rings_cancels_that_leg_and_bridges_the_next(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072)
    fs1.set_agent_phone(user="1001", kind="no_answer")
    conn = esl()
    _callee_bridging_to(conn, "1001")
    assert conn.api(f"uuid_transfer {A} 'bridge:user/1000@127.0.0.1' inline") == "+OK\n"
    bridge = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    agent = next(c for c in fs1.channels() if c["uuid"] == bridge["Bridge-B-Unique-ID"])
    assert agent["number"] == "1000"
    first = next(c for c in fs1.channels() if c["number"] == "1001")
    assert first["hangup_cause"] == "ORIGINATOR_CANCEL"
    events = events_of(conn)
    assert all(e["Event-Name"] != "CHANNEL_HANGUP" for e in events if e.get("Unique-ID") == A)
    assert [e["Application"] for e in events if e["Event-Name"] == "CHANNEL_EXECUTE"] == [
        "bridge", "bridge",
    ]  # fmt: skip
    conn.api(f"uuid_kill {A}")
    wait_gone(conn, A)


def test_transfer_of_a_bridged_callee_to_park_hangs_the_agent_up_and_parks_it(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072)
    conn = esl()
    _callee_bridging_to(conn, "1000")
    bridge = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    assert conn.api(f"uuid_transfer {A} park inline") == "+OK\n"
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    b = bridge["Bridge-B-Unique-ID"]
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == b)
    assert conn.api(f"uuid_exists {A}") == "true"
    events = events_of(conn)
    unbridges = [e for e in events if e["Event-Name"] == "CHANNEL_UNBRIDGE"]
    assert len(unbridges) == 1
    assert event(events, "CHANNEL_PARK", A)["Other-Leg-Unique-ID"] == b
    conn.api(f"uuid_kill {A}")
    wait_gone(conn, A)


def test_a_transfer_during_a_hold_tone_is_not_ended_by_the_tone_s_old_timer(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072)
    fs1.set_agent_phone(user="1000", kind="answer", answer_ms=400)
    conn = esl()
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        "sofia/gateway/carrier1/+14157771003 "
        "'m:|:playback:tone_stream://%(100,100,440,480);loops=1|hangup' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_EXECUTE" and e["Unique-ID"] == A)
    assert conn.api(f"uuid_transfer {A} 'bridge:user/1000@127.0.0.1' inline") == "+OK\n"
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE", timeout=5)
    conn.drain(0.3)  # past the tone's 200 ms
    completes = [
        e["Application"]
        for e in events_of(conn)
        if e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE" and e["Unique-ID"] == A
    ]
    assert completes == ["playback"]  # the bridge is still running
    assert conn.api(f"uuid_exists {A}") == "true"
    conn.api(f"uuid_kill {A}")
    wait_gone(conn, A)
