"""`event plain CUSTOM x HEARTBEAT` subscribes to no HEARTBEAT (capture 16)."""

from __future__ import annotations

import pytest

from tests.emulator.eslraw import RawEsl


@pytest.fixture
def fast(make_cluster):
    return make_cluster(heartbeat_interval=0.2)


def test_heartbeat_after_custom_is_taken_as_a_subclass(fast):
    conn = RawEsl(fast.ports["fs1"])
    try:
        conn.login()
        reply = conn.cmd("event plain CUSTOM sofia::gateway_state HEARTBEAT")
        assert reply.headers["Reply-Text"] == "+OK event listener enabled plain"
        conn.drain(0.7)
        assert conn.names() == []
        assert conn.cmd("noevents").headers["Reply-Text"] == "+OK no longer listening for events"
        conn.cmd("event plain HEARTBEAT CUSTOM sofia::gateway_state")
        ev = conn.wait_event(lambda e: e["Event-Name"] == "HEARTBEAT", timeout=3)
        assert ev["Event-Info"] == "System Ready"
    finally:
        conn.close()


def test_heartbeat_carries_session_counts_limits_and_uptime(fast):
    conn = RawEsl(fast.ports["fs1"])
    try:
        conn.login()
        conn.cmd("event plain HEARTBEAT")
        conn.wait_event(lambda e: e["Event-Name"] == "HEARTBEAT", timeout=3)
        frame = conn.events[-1]
        names = [k for k, _ in frame.event_headers()]
        assert names[13:] == [
            "Event-Info", "Up-Time", "FreeSWITCH-Version", "Uptime-msec", "Session-Count",
            "Max-Sessions", "Session-Per-Sec", "Session-Per-Sec-Last", "Session-Per-Sec-Max",
            "Session-Per-Sec-FiveMin", "Session-Since-Startup", "Session-Peak-Max",
            "Session-Peak-FiveMin", "Idle-CPU",
        ]  # fmt: skip
        ev = frame.event()
        assert (ev["Session-Count"], ev["Max-Sessions"], ev["Session-Per-Sec"]) == (
            "0",
            "1000",
            "30",
        )
        assert frame.body.endswith(b"Idle-CPU: 98.000000\n\n")
    finally:
        conn.close()


def test_noevents_without_a_subscription_is_an_error(cluster, esl):
    assert esl().cmd("noevents").headers["Reply-Text"] == "-ERR not listening for events"


def test_event_without_names_is_an_error(cluster, esl):
    assert esl().cmd("event plain").headers["Reply-Text"] == "-ERR no keywords supplied"


def test_unknown_esl_command_and_filter_delete_without_args(cluster, esl):
    conn = esl()
    assert conn.cmd("nosuchcommand").headers["Reply-Text"] == "-ERR command not found"
    assert conn.cmd("filter delete").headers["Reply-Text"] == "-ERR invalid syntax"
