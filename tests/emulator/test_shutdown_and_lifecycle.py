"""fsctl shutdown (capture 25), restart with a new Core-UUID, stop/start and a hung node."""

from __future__ import annotations

import socket
import time

import pytest

from tests.emulator.captures import conversation
from tests.emulator.eslraw import RawEsl

A = "00000000-0000-4000-8000-000000000025"


def _shutdown_notice_from_capture() -> bytes:
    return next(
        f.raw
        for kind, f in conversation("25b-shutdown-control-connection.esl.txt")
        if kind == "S" and f.content_type == "text/disconnect-notice"
    )


def test_fsctl_shutdown_hangs_up_with_system_shutdown_then_notifies_every_connection(esl):
    subscribed = esl()
    subscribed.cmd("event plain HEARTBEAT CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
    subscribed.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        "sofia/internal/4008001234@127.0.0.1:5090 &park()"
    )
    subscribed.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    control = esl()
    assert control.api("fsctl shutdown") == "+OK\n"
    ev = subscribed.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
    assert ev["Hangup-Cause"] == "SYSTEM_SHUTDOWN"
    notice = _shutdown_notice_from_capture()
    assert notice == (
        b"Content-Type: text/disconnect-notice\nContent-Length: 31\n\n"
        b"The system is being shut down.\n"
    )
    for conn in (subscribed, control):
        assert conn.wait_eof()
        assert conn.raw.endswith(notice)
    assert b"+OK bye" not in subscribed.raw


def test_restart_brings_the_node_back_on_its_port_with_a_new_core_uuid(cluster, esl):
    fs1 = cluster.node("fs1")
    before = fs1.stats()
    row = fs1.register_agent(user="1000")
    conn = esl()
    conn.api("originate sofia/internal/4008001234@h &park()")
    after = fs1.restart()
    assert after["port"] == before["port"]
    assert after["core_uuid"] != before["core_uuid"]
    assert conn.wait_eof()
    assert conn.raw.endswith(b"The system is being shut down.\n")
    fresh = esl()
    assert fresh.api("global_getvar core_uuid") == after["core_uuid"]
    assert fresh.api("show channels count") == "\n0 total.\n"
    assert "0 session(s) since startup" in fresh.api("status")
    # The registration survives the restart with its old expiry (captures 32, 32c).
    assert [(a["call_id"], a["expiry"]) for a in fs1.agents()] == [(row["call_id"], row["expiry"])]
    fresh.cmd("event plain HEARTBEAT")
    fs1.heartbeat()
    ev = fresh.wait_event(lambda e: e["Event-Name"] == "HEARTBEAT")
    assert ev["Core-UUID"] == after["core_uuid"]
    assert int(ev["Event-Sequence"]) < 50  # the sequence restarted


def test_stop_closes_the_listener_and_start_reopens_it_with_the_same_core_uuid(cluster, esl):
    fs1 = cluster.node("fs1")
    core = fs1.stats()["core_uuid"]
    conn = esl()
    fs1.stop()
    assert conn.wait_eof()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", fs1.port), timeout=2)
    fs1.start()
    again = esl()
    assert again.api("global_getvar core_uuid") == core


def test_a_hung_node_accepts_connections_but_answers_nothing_until_unhung(cluster, esl):
    fs1 = cluster.node("fs1")
    conn = esl()
    fs1.hang()
    conn.send("api status\n\n")
    with pytest.raises(TimeoutError):
        conn.reply(timeout=0.3)
    late = RawEsl(fs1.port)
    try:
        with pytest.raises(TimeoutError):
            late.reply(timeout=0.3)  # no greeting either
        fs1.unhang()
        assert conn.reply().body.startswith(b"UP ")
        late.login()
    finally:
        late.close()


def test_shutdown_node_comes_back_fresh_when_started(cluster, esl):
    fs1 = cluster.node("fs1")
    core = fs1.stats()["core_uuid"]
    fs1.shutdown()
    deadline = time.monotonic() + 3
    while fs1.stats()["up"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not fs1.stats()["up"]
    assert fs1.start()["core_uuid"] != core
