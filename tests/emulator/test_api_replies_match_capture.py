"""Reply texts and framing of api/bgapi commands, against capture 02 (and 17, 20)."""

from __future__ import annotations

import re

import pytest

from tests.emulator.captures import conversation

# Commands of file 02 whose replies do not depend on uptime, registrations or the host.
DETERMINISTIC = [
    "api show calls count",
    "api show channels count",
    "api show channels as json",
    "api show calls as json",
    "api sofia xmlstatus profile internal reg",
    "api show registrations",
    "api show registrations as json",
    "api no_such_command",
    "api no_such_command with args",
    "api originate",
    "api originate sofia/internal/4008001234@127.0.0.1:5090",
    "api originate {origination_uuid=abc sofia/internal/4008001234@127.0.0.1:5090 &park()",
    "api originate nosuchendpoint/foo &park()",
    "api originate sofia/noprofile/4008001234@127.0.0.1:5090 &park()",
    "api uuid_kill 11111111-2222-3333-4444-555555555555",
    "api uuid_send_dtmf 11111111-2222-3333-4444-555555555555 1",
    "api uuid_exists 11111111-2222-3333-4444-555555555555",
    "api sofia status profile internal reg",
    "api sofia status",
    "api sofia status profile internal",
    "nosuchcommand",
    "api version",
]


def _captured_replies(name: str) -> dict[str, bytes]:
    replies: dict[str, bytes] = {}
    pending: list[str] = []
    for kind, item in conversation(name):
        if kind == "C":
            pending.extend(c.strip() for c in item.decode().split("\n\n") if c.strip())
        elif not item.content_type.startswith("text/event") and pending:
            replies.setdefault(pending.pop(0), item.raw)
    return replies


CAPTURED = _captured_replies("02-auth-and-api.esl.txt")


@pytest.mark.parametrize("command", DETERMINISTIC)
def test_reply_bytes_equal_the_capture(esl, command):
    conn = esl()
    assert conn.cmd(command).raw == CAPTURED[command]


def test_status_has_the_captured_shape(esl):
    body = esl().api("status")
    pattern = (
        r"UP 0 years, 0 days, 0 hours, 0 minutes, \d+ seconds?, \d+ milliseconds?, "
        r"\d+ microseconds?\n"
        r"FreeSWITCH \(Version 1\.10\.12-release  64bit\) is ready\n"
        r"0 session\(s\) since startup\n"
        r"0 session\(s\) - peak 0, last 5min 0 \n"
        r"0 session\(s\) per Sec out of max 30, peak 0, last 5min 0 \n"
        r"1000 session\(s\) max\n"
        r"min idle cpu \d+\.\d\d/\d+\.\d\d\n"
        r"Current Stack Size/Max 240K/8192K\n"
    )
    assert re.fullmatch(pattern, body)


def test_bgapi_honours_the_client_job_uuid_and_fires_background_job(esl):
    conn = esl()
    conn.cmd("event plain BACKGROUND_JOB")
    conn.send("bgapi status\nJob-UUID: 99999999-0000-4000-8000-000000000001\n\n")
    reply = conn.reply()
    assert reply.raw == (
        b"Content-Type: command/reply\n"
        b"Reply-Text: +OK Job-UUID: 99999999-0000-4000-8000-000000000001\n"
        b"Job-UUID: 99999999-0000-4000-8000-000000000001\n\n"
    )
    ev = conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    assert ev["Job-UUID"] == "99999999-0000-4000-8000-000000000001"
    assert ev["Job-Command"] == "status"
    assert "Job-Command-Arg" not in ev
    frame = conn.events[-1]
    assert frame.header_order == ["Content-Length", "Content-Type"]
    assert frame.event_body().startswith(b"UP 0 years")


def test_background_job_headers_are_named_and_ordered_as_captured(esl):
    captured = next(
        f
        for kind, f in conversation("02-auth-and-api.esl.txt")
        if kind == "S"
        and f.content_type == "text/event-plain"
        and f.event().get("Job-Command") == "originate"
    )
    conn = esl()
    conn.cmd("event plain BACKGROUND_JOB")
    reply = conn.cmd("bgapi originate nosuchendpoint/foo &park()")
    assert reply.headers["Reply-Text"].startswith("+OK Job-UUID: ")
    conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    ours = conn.events[-1]
    assert [k for k, _ in ours.event_headers()] == [k for k, _ in captured.event_headers()]
    # The argument is URL-encoded on the wire exactly as FreeSWITCH does it.
    assert b"Job-Command-Arg: nosuchendpoint/foo%20%26park()\n" in ours.body
    assert ours.event_body() == captured.event_body() == b"-ERR CHAN_NOT_IMPLEMENTED\n"


def test_bgapi_generates_a_job_uuid_when_the_client_sends_none(esl):
    reply = esl().cmd("bgapi status")
    job = reply.headers["Job-UUID"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", job)
    assert reply.headers["Reply-Text"] == f"+OK Job-UUID: {job}"


def test_global_getvar_core_uuid_has_no_trailing_newline(cluster, esl):
    body = esl().api("global_getvar core_uuid")
    assert body == cluster.node("fs1").stats()["core_uuid"]


def test_fsctl_and_hupall_reply_texts_match_capture_20(esl):
    conn = esl()
    assert conn.api("fsctl max_sessions 1") == "+OK max sessions: 1\n"
    assert conn.api("fsctl max_sessions 1000") == "+OK max sessions: 1000\n"
    assert conn.api("fsctl sps 2") == "+OK sessions per second: 2\n"
    assert conn.api("hupall NORMAL_CLEARING") == (
        "+OK hangup all channels with cause NORMAL_CLEARING\n"
    )
