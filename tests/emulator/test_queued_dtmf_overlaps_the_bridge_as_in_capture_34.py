"""send_dtmf completes when the digits are queued; they leave over time (capture 34).

Call 1 bridges at once and the agent is connected while digits 2-5 are still going out; call 2
sleeps the rendered length first, so every digit is out before the agent is dialled. The DTMF
log says when each digit really left, and that digits queued on a leg that hung up never did.
"""

from __future__ import annotations

from collections import Counter

from tests.emulator.calls import SUBSCRIBE, event, events_of, wait_gone
from tests.emulator.scenario import captured_sequence, sequence

A1 = "00000000-0000-4000-8000-000000000034"
A2 = "00000000-0000-4000-8000-000000000342"
C34 = "34-target-first-dtmf-timing-vs-bridge.esl.txt"


def _stamp(ev: dict[str, str]) -> float:
    return int(ev["Event-Date-Timestamp"]) / 1e6


def _call(conn, uuid: str, attempt: int, number: str, sleep_after: str) -> None:
    conn.cmd(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true,"
        f"attempt_id={attempt}}}sofia/gateway/carrier1/{number} "
        f"'sleep:100,send_dtmf:12345@200,{sleep_after}bridge:user/1000@127.0.0.1' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE" and e["Unique-ID"] == uuid)


def test_digits_leave_every_480_ms_and_overlap_a_bridge_started_at_once(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", transport="tcp", contact_port=5072, answer_ms=300)
    conn = esl()
    conn.cmd(SUBSCRIBE)
    _call(conn, A1, 134, "+14157771003", "")
    events = events_of(conn)
    queued = event(events, "CHANNEL_EXECUTE_COMPLETE", A1, 1)
    assert queued["Application"] == "send_dtmf"
    bridge_exec = event(events, "CHANNEL_EXECUTE", A1, 2)
    assert bridge_exec["Application"] == "bridge"
    assert _stamp(bridge_exec) - _stamp(queued) < 0.2  # no wait for the digits
    log = fs1.dtmf(uuid=A1)
    assert [d["digit"] for d in log] == list("12345")
    offsets = [round((d["played_at"] - log[0]["played_at"]) * 1000) for d in log]
    assert offsets == [0, 480, 960, 1440, 1920]  # capture 34: +9, +489, ..., +1929 ms
    assert log[0]["played_at"] >= _stamp(queued) - 0.001
    bridged = _stamp(event(events, "CHANNEL_BRIDGE", A1))
    assert log[-1]["played_at"] > bridged  # still going out while the agent is connected
    assert not log[-1]["left"]
    fs1.far_end_hangup(uuid=A1)
    wait_gone(conn, A1)

    _call(conn, A2, 1342, "+14157771004", "sleep:2400,")
    log2 = fs1.dtmf(uuid=A2)
    slept = event(events_of(conn), "CHANNEL_EXECUTE_COMPLETE", A2, 2)
    assert slept["Application"] == "sleep"
    assert all(d["played_at"] + d["duration_ms"] / 1000 < _stamp(slept) for d in log2)
    fs1.far_end_hangup(uuid=A2)
    wait_gone(conn, A2)
    ours, theirs = sequence(events_of(conn)), captured_sequence(C34)
    # The tail after each callee's BYE has no fixed order in FreeSWITCH (files 06, 24, 34).
    assert Counter(ours) == Counter(theirs)
    cut = theirs.index("CHANNEL_BRIDGE(A)") + 1
    assert ours[:cut] == theirs[:cut]
    assert [d["left"] for d in fs1.dtmf(uuid=A2)] == [True] * 5


def test_digits_queued_on_a_leg_that_hangs_up_before_they_leave_never_leave(cluster, esl):
    fs1 = cluster.node("fs1")
    conn = esl()
    conn.cmd("event plain CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
    conn.cmd(
        f"bgapi originate {{origination_uuid={A1},ignore_early_media=true}}"
        "sofia/gateway/carrier1/+14157771003 &park()"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    assert conn.api(f"uuid_send_dtmf {A1} 12345@200") == f"+OK {A1} sent DTMF 12345@200.\n"
    assert conn.api(f"uuid_kill {A1}") == "+OK\n"
    wait_gone(conn, A1)
    record = fs1.channel(uuid=A1)
    assert [d["left"] for d in record["dtmf"]][1:] == [False] * 4
    assert record["dtmf_sent"] in ("", "1")
    assert record["variables"]["last_dtmf_duration"] == str(5 * (200 + 250))
