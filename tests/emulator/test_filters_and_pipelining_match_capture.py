"""Filters drop unmatched events (BACKGROUND_JOB too); pipelined commands answer in order (17)."""

from __future__ import annotations

from tests.emulator.captures import conversation
from tests.emulator.scenario import captured_sequence, sequence

A = "00000000-0000-4000-8000-000000000017"
B = "00000000-0000-4000-8000-000000000171"
JOB_A = "17171717-0000-4000-8000-00000000000a"
JOB_B = "17171717-0000-4000-8000-00000000000b"
CAPTURE = "17-filter-nixevent-pipelining.esl.txt"


def _reply_texts() -> list[str]:
    return [
        f.headers["Reply-Text"]
        for kind, f in conversation(CAPTURE)
        if kind == "S" and f.content_type == "command/reply"
    ]


def test_capture_17_replayed_gives_the_same_replies_and_events(esl):
    conn = esl()
    texts = []

    def cmd(line: str) -> None:
        texts.append(conn.cmd(line).headers["Reply-Text"])

    cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
    cmd(f"filter Unique-ID {A}")
    cmd(f"filter Job-UUID {JOB_A}")
    for uid, attempt, number, job in ((A, 42, "4008001234", JOB_A), (B, 43, "4008005678", JOB_B)):
        conn.send(
            f"bgapi originate {{origination_uuid={uid},attempt_id={attempt},"
            f"ignore_early_media=true}}sofia/internal/{number}@127.0.0.1:5090 &park()\n"
            f"Job-UUID: {job}\n\n"
        )
        texts.append(conn.reply().headers["Reply-Text"])
    conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    conn.drain(0.2)
    # Three api commands in one write come back in order.
    conn.send(
        f"api uuid_exists {A}\n\napi uuid_getvar {A} attempt_id\n\napi show channels count\n\n"
    )
    assert [conn.reply().body for _ in range(3)] == [b"true", b"42", b"\n2 total.\n"]
    cmd("nixevent CHANNEL_CREATE")
    cmd(f"filter delete Unique-ID {A}")
    cmd(f"filter delete Job-UUID {JOB_A}")
    cmd("filter delete")
    assert conn.api(f"uuid_kill {B}") == "+OK\n"
    assert conn.api(f"uuid_kill {A} NORMAL_CLEARING") == "+OK\n"
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == A)
    assert conn.api(f"uuid_exists {A}") == "false"
    cmd("noevents")
    cmd("nixevent ALL")
    cmd("exit")
    assert ["+OK accepted", *texts] == _reply_texts()
    events = [f.event() for f in conn.events]
    assert sequence(events, {A: "A", B: "B"}) == sequence(
        [e for e in _captured_events()], {A: "A", B: "B"}
    )
    jobs = [e["Job-UUID"] for e in events if e["Event-Name"] == "BACKGROUND_JOB"]
    assert jobs == [JOB_A]


def _captured_events():
    return [
        f.event()
        for kind, f in conversation(CAPTURE)
        if kind == "S" and f.content_type == "text/event-plain"
    ]


def test_captured_sequence_is_what_the_filter_lets_through():
    assert captured_sequence(CAPTURE) == [
        "CHANNEL_CREATE(A)", "CHANNEL_ANSWER(A)", "BACKGROUND_JOB",
        "CHANNEL_HANGUP_COMPLETE(B)", "CHANNEL_HANGUP_COMPLETE(A)",
    ]  # fmt: skip


def test_negative_filter_vetoes_and_regex_filter_matches(cluster, esl):
    conn = esl()
    conn.cmd("event plain CHANNEL_ANSWER BACKGROUND_JOB")
    assert conn.cmd("filter Event-Name /^CHANNEL_/").headers["Reply-Text"] == (
        "+OK filter added. [Event-Name]=[/^CHANNEL_/]"
    )
    conn.cmd(f"filter Unique-ID -{B}")
    for uid in (A, B):
        conn.cmd(f"bgapi originate {{origination_uuid={uid}}}sofia/internal/4008@h &park()")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_ANSWER")
    conn.drain(0.3)
    events = [f.event() for f in conn.events]
    assert [(e["Event-Name"], e["Unique-ID"]) for e in events] == [("CHANNEL_ANSWER", A)]


def test_a_filter_drops_heartbeats_and_background_jobs_that_lack_the_header(cluster, esl):
    conn = esl()
    conn.cmd("event plain HEARTBEAT BACKGROUND_JOB")
    conn.cmd("filter Unique-ID whatever")
    conn.cmd("bgapi status")
    cluster.node("fs1").heartbeat()
    conn.drain(0.3)
    assert conn.events == []
    conn.cmd("filter delete Unique-ID whatever")
    cluster.node("fs1").heartbeat()
    assert conn.wait_event(lambda e: e["Event-Name"] == "HEARTBEAT")
