"""Failure causes by SIP response and unregistered users, replayed from capture 19."""

from __future__ import annotations

import time

from tests.emulator.captures import server_frames
from tests.emulator.scenario import captured_sequence, sequence

CAPTURE = "19-originate-fail-causes.esl.txt"
SIP_CODES = ["404", "480", "603", "503", "484", "403"]


def _captured_job_bodies() -> list[bytes]:
    return [
        f.event_body()
        for f in server_frames(CAPTURE)
        if f.content_type == "text/event-plain" and f.event()["Event-Name"] == "BACKGROUND_JOB"
    ]


def test_capture_19_replayed_gives_the_same_causes_and_event_order(cluster, esl):
    fs1 = cluster.node("fs1")
    conn = esl()
    conn.cmd(
        "event plain CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP "
        "CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY BACKGROUND_JOB"
    )

    def jobs() -> int:
        return sum(1 for f in conn.events if f.event()["Event-Name"] == "BACKGROUND_JOB")

    def bgapi(n: int, dial: str) -> None:
        """One originate at a time, as the capture did, waiting for its job result."""
        uid = f"00000000-0000-4000-8000-000000000{n}"
        before = jobs()
        conn.cmd(f"bgapi originate {{origination_uuid={uid}}}{dial} &park()")
        deadline = time.monotonic() + 5
        while jobs() == before and time.monotonic() < deadline:
            conn.drain(0.02)
        assert jobs() == before + 1

    for i, code in enumerate(SIP_CODES):
        fs1.set_outcome(pattern="4008001234", kind="reject", sip_status=code, ring_ms=None)
        bgapi(191 + i, "sofia/internal/4008001234@127.0.0.1:5094")
    bgapi(197, "user/1000")
    bgapi(198, "user/9999")
    bgapi(199, "user/1000@nosuchdomain.invalid")
    bgapi(200, "error/user_busy")
    bgapi(201, "sofia/internal/1000%127.0.0.1")
    conn.drain(0.1)
    events = [f.event() for f in conn.events]
    assert sequence(events) == captured_sequence(CAPTURE)
    bodies = [f.event_body() for f in conn.events if f.event()["Event-Name"] == "BACKGROUND_JOB"]
    # user/9999 and an unknown domain are SUBSCRIBER_ABSENT (not in the directory); user/1000 is a
    # directory user with no registration: USER_NOT_REGISTERED, exactly as captured.
    assert bodies == _captured_job_bodies()
    terms = [
        e["variable_sip_term_status"]
        for e in events
        if e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"
    ]
    assert terms == SIP_CODES
