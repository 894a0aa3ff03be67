"""Agent sessions in the emulator, held to captures 49-53: an agent leg parked with
park_after_bridge joined to callees by uuid_bridge.

* uuid_bridge answers at once; CHANNEL_BRIDGE (on the callee only) follows about 60 ms later;
* the callee's BYE parks the agent leg again (CHANNEL_PARK), no UNBRIDGE names the agent leg,
  stale variables stay on it, and it can be bridged again (49, 52);
* uuid_bridge to an agent leg already bridged is not refused: the first callee is hung up (53);
* the agent's BYE while bridged hangs the callee up too (51B);
* a phone killed (kill -9) leaves its leg up until the media timeout: MEDIA_TIMEOUT after
  media_timeout ms, and the bridged callee is hung up (50C).
"""

from __future__ import annotations

import time

from tests.emulator.calls import events_of

AG = "00000000-0000-4000-8000-000000000490"
C1 = "00000000-0000-4000-8000-000000000491"
C2 = "00000000-0000-4000-8000-000000000492"
SUB = ("event plain CHANNEL_PARK CHANNEL_UNPARK CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP "
       "CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE")


def _session(cluster, esl, media_timeout: str = ""):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072, answer_ms=300)
    conn = esl()
    conn.cmd(SUB)
    extra = f",media_timeout={media_timeout}" if media_timeout else ""
    conn.cmd(f"bgapi originate {{origination_uuid={AG},park_after_bridge=true{extra}}}"
             "user/1000@127.0.0.1 &park()")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e["Unique-ID"] == AG)
    return fs1, conn


def _callee(conn, uuid: str, number: str) -> None:
    conn.cmd(f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true}}"
             f"sofia/gateway/carrier1/{number} &park()")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK" and e["Unique-ID"] == uuid)


def _bridge(conn, callee: str) -> float:
    sent = time.time()
    assert conn.api(f"uuid_bridge {callee} {AG}") == f"+OK {AG}\n"
    bridge = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE"
                             and e["Unique-ID"] == callee)
    return int(bridge["Event-Date-Timestamp"]) / 1e6 - sent


def _named(conn, name: str, uuid: str) -> list[dict[str, str]]:
    return [e for e in events_of(conn) if e["Event-Name"] == name and e.get("Unique-ID") == uuid]


def test_the_callees_bye_parks_the_agent_leg_again_for_the_next_callee(cluster, esl):
    fs1, conn = _session(cluster, esl)
    _callee(conn, C1, "+14157771049")
    assert 0.04 <= _bridge(conn, C1) <= 1.0  # 61-62 ms in the captures
    assert not _named(conn, "CHANNEL_BRIDGE", AG)  # only on the first uuid
    fs1.far_end_hangup(uuid=C1)
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"
                    and e["Unique-ID"] == C1)
    assert len(_named(conn, "CHANNEL_PARK", AG)) == 2
    assert not _named(conn, "CHANNEL_UNBRIDGE", AG) and _named(conn, "CHANNEL_UNBRIDGE", C1)
    assert not _named(conn, "CHANNEL_HANGUP", AG)
    assert conn.api(f"uuid_exists {AG}") == "true"
    assert conn.api(f"uuid_getvar {AG} last_bridge_hangup_cause") == "NORMAL_CLEARING"
    assert conn.api(f"uuid_getvar {AG} signal_bond") == C1  # stale
    _callee(conn, C2, "+14157771149")
    _bridge(conn, C2)  # and again


def test_a_second_uuid_bridge_to_a_bridged_agent_hangs_up_the_first_callee(cluster, esl):
    _fs1, conn = _session(cluster, esl)
    _callee(conn, C1, "+14157775053")
    _bridge(conn, C1)
    _callee(conn, C2, "+14157775153")
    _bridge(conn, C2)  # not refused
    hangup = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP"
                             and e["Unique-ID"] == C1)
    assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"
    assert conn.api(f"uuid_exists {C2}") == "true"
    assert conn.api(f"uuid_exists {AG}") == "true"


def test_the_agents_bye_while_bridged_hangs_the_callee_up(cluster, esl):
    fs1, conn = _session(cluster, esl)
    _callee(conn, C1, "+14157775051")
    _bridge(conn, C1)
    fs1.far_end_hangup(uuid=AG)
    hangup = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP"
                             and e["Unique-ID"] == C1)
    assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"


def test_a_dead_phone_keeps_its_leg_until_the_media_timeout_then_the_callee_goes(cluster, esl):
    fs1, conn = _session(cluster, esl, media_timeout="1000")
    _callee(conn, C1, "+14157775050")
    _bridge(conn, C1)
    killed = time.time()
    fs1.drop_agent(user="1000")
    assert conn.api(f"uuid_exists {AG}") == "true"  # no event for the phone's death
    dead = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP" and e["Unique-ID"] == AG)
    assert dead["Hangup-Cause"] == "MEDIA_TIMEOUT"
    assert int(dead["Event-Date-Timestamp"]) / 1e6 - killed >= 1.0
    callee = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP"
                             and e["Unique-ID"] == C1)
    assert callee["Hangup-Cause"] == "NORMAL_CLEARING"
