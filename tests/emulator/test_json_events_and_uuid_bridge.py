"""`event json` framing (capture 04) and uuid_bridge of two parked legs."""

from __future__ import annotations

import json

from tests.emulator.captures import server_frames

A = "00000000-0000-4000-8000-000000000004"
B = "00000000-0000-4000-8000-000000000044"


def _json_events(name: str) -> list[dict]:
    return [json.loads(f.body) for f in server_frames(name) if f.content_type == "text/event-json"]


def test_json_events_follow_capture_04(esl):
    conn = esl()
    conn.cmd(
        "event json CHANNEL_CREATE CHANNEL_OUTGOING CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA "
        "CHANNEL_ANSWER CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_PARK CHANNEL_EXECUTE "
        "CHANNEL_EXECUTE_COMPLETE DTMF CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY "
        "BACKGROUND_JOB"
    )
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        "sofia/internal/4008001234@127.0.0.1:5090 &park()"
    )
    conn.drain(0.3)
    conn.api(f"uuid_kill {A}")
    conn.drain(0.3)
    ours = [json.loads(f.body) for f in conn.events]
    assert all(f.content_type == "text/event-json" for f in conn.events)
    theirs = [
        e
        for e in _json_events("04-originate-answer-dtmf-kill.json.esl.txt")
        if e["Event-Name"] != "DTMF"
    ]
    assert [(e["Event-Name"], e.get("Channel-State")) for e in ours] == [
        (e["Event-Name"], e.get("Channel-State")) for e in theirs
    ]
    job = next(e for e in ours if e["Event-Name"] == "BACKGROUND_JOB")
    real_job = next(e for e in theirs if e["Event-Name"] == "BACKGROUND_JOB")
    assert list(job) == list(real_job)
    assert job["_body"] == f"+OK {A}\n"
    assert job["Content-Length"] == str(len(job["_body"]))
    answer = next(e for e in ours if e["Event-Name"] == "CHANNEL_ANSWER")
    assert answer["FreeSWITCH-IPv6"] == "::1"  # JSON values are not URL-encoded


def test_uuid_bridge_joins_two_parked_legs_and_a_hangup_ends_both(cluster, esl):
    conn = esl()
    conn.cmd("event plain CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE")
    for uid in (A, B):
        assert conn.api(f"originate {{origination_uuid={uid}}}sofia/gateway/gw/4008 &park()") == (
            f"+OK {uid}\n"
        )
    assert conn.api(f"uuid_bridge {A} {B}") == f"+OK {B}\n"
    ev = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    assert (ev["Bridge-A-Unique-ID"], ev["Bridge-B-Unique-ID"]) == (A, B)
    cluster.node("fs1").far_end_hangup(uuid=B)
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == A)
    assert conn.api("show channels count") == "\n0 total.\n"
    assert conn.api(f"uuid_bridge {A} {B}").startswith("-ERR")
