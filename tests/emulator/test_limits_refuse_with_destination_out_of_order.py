"""max-sessions, sessions-per-second (N-1 a second) and duplicate UUIDs (capture 20)."""

from __future__ import annotations

import time

U = "00000000-0000-4000-8000-0000000002{:02d}"


def _originate(n: int) -> str:
    dial = "sofia/internal/4008001234@127.0.0.1:5090"
    return f"originate {{origination_uuid={U.format(n)}}}{dial} &park()"


def test_over_max_sessions_the_originate_fails_without_channel_events(esl):
    conn = esl()
    conn.cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
    assert conn.api("fsctl max_sessions 1") == "+OK max sessions: 1\n"
    assert conn.api(_originate(1)) == f"+OK {U.format(1)}\n"
    conn.drain(0.1)
    before = len(conn.events)
    assert conn.api(_originate(3)) == "-ERR DESTINATION_OUT_OF_ORDER\n"
    conn.cmd("bgapi " + _originate(2))
    conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    conn.drain(0.1)
    assert [f.event()["Event-Name"] for f in conn.events[before:]] == ["BACKGROUND_JOB"]
    assert conn.events[-1].event_body() == b"-ERR DESTINATION_OUT_OF_ORDER\n"
    assert "1 session(s) max" in conn.api("status")


def test_a_live_origination_uuid_cannot_be_reused(esl):
    conn = esl()
    assert conn.api(_originate(1)) == f"+OK {U.format(1)}\n"
    assert conn.api(_originate(1)) == "-ERR DESTINATION_OUT_OF_ORDER\n"
    assert conn.api(f"uuid_exists {U.format(1)}") == "true"


def _fresh_second() -> None:
    # Start at the top of a second so a burst lands in one sessions-per-second window.
    frac = time.time() % 1.0
    if frac > 0.7:
        time.sleep(1.0 - frac + 0.01)


def test_sps_admits_one_less_than_the_limit_per_second(esl):
    conn = esl()
    conn.api("fsctl sps 1")
    _fresh_second()
    assert conn.api(_originate(7)) == "-ERR DESTINATION_OUT_OF_ORDER\n"
    conn.api("fsctl sps 2")
    conn.cmd("event plain BACKGROUND_JOB")
    time.sleep(1.0 - time.time() % 1.0 + 0.01)
    conn.send("".join(f"bgapi {_originate(n)}\n\n" for n in (4, 5, 6)))
    for _ in range(3):
        conn.reply()
    deadline = time.monotonic() + 5
    while len(conn.events) < 3 and time.monotonic() < deadline:
        conn.drain(0.05)
    bodies = [f.event_body() for f in conn.events]
    assert sorted(bodies) == sorted([
        f"+OK {U.format(4)}\n".encode(),
        b"-ERR DESTINATION_OUT_OF_ORDER\n",
        b"-ERR DESTINATION_OUT_OF_ORDER\n",
    ])  # fmt: skip
    assert conn.api("show channels count") == "\n1 total.\n"


def test_b_legs_count_against_max_sessions(cluster, esl):
    conn = esl()
    conn.api("fsctl max_sessions 1")
    conn.cmd("event plain CHANNEL_HANGUP_COMPLETE")
    out = conn.api(
        f"originate {{origination_uuid={U.format(1)}}}sofia/internal/4008001234@h "
        "&bridge(sofia/internal/4008005678@h)"
    )
    assert out == f"+OK {U.format(1)}\n"
    ev = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
    # The B leg was refused, so the bridge failed and A hung up with that cause.
    assert ev["Hangup-Cause"] == "DESTINATION_OUT_OF_ORDER"


def test_control_api_sets_limits_and_heartbeat_reports_the_remaining_budget(cluster, esl):
    fs1 = cluster.node("fs1")
    stats = fs1.set_limits(max_sessions=5, sps=10)
    assert (stats["max_sessions"], stats["sps"]) == (5, 10)
    conn = esl()
    conn.cmd("event plain HEARTBEAT")
    _fresh_second()
    conn.api(_originate(1))
    fs1.heartbeat()
    ev = conn.wait_event(lambda e: e["Event-Name"] == "HEARTBEAT")
    assert ev["Max-Sessions"] == "5"
    assert ev["Session-Count"] == "1"
    assert int(ev["Session-Per-Sec"]) in (9, 10)  # 9 unless the second rolled over meanwhile
