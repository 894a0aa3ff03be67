"""sofia::* registration events and listings, against captures 12, 13, 21, 22 and 23."""

from __future__ import annotations

import json
import re
import time

from tests.emulator.captures import server_frames

SUBSCRIBE = (
    "event plain HEARTBEAT CUSTOM sofia::register sofia::unregister sofia::expire "
    "sofia::register_attempt sofia::register_failure sofia::pre_register sofia::sip_user_state"
)


def _captured(name: str) -> list[list[tuple[str, str]]]:
    return [f.event_headers() for f in server_frames(name) if f.content_type == "text/event-plain"]


def _by_subclass(name: str, subclass: str, nth: int = 0) -> list[tuple[str, str]]:
    found = [h for h in _captured(name) if dict(h).get("Event-Subclass") == subclass]
    return found[nth]


def _names(headers: list[tuple[str, str]]) -> list[str]:
    return [k for k, _ in headers]


def _customs(conn) -> list[list[tuple[str, str]]]:
    return [f.event_headers() for f in conn.events if f.event().get("Event-Name") == "CUSTOM"]


def test_register_then_unregister_fire_the_captured_events_with_the_captured_headers(cluster, esl):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", transport="tcp", expires=60, network_port=5070,
                       call_id="1-28462@127.0.0.1", user_agent="sipp-fixture")  # fmt: skip
    conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::register")
    fs1.unregister_agent(user="1000")
    conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::unregister")
    ours = _customs(conn)
    assert [dict(h)["Event-Subclass"] for h in ours] == [
        "sofia::pre_register", "sofia::register_attempt", "sofia::register",
        "sofia::pre_register", "sofia::register_attempt", "sofia::unregister",
    ]  # fmt: skip
    capture = "12-register-unregister-tcp.esl.txt"
    theirs = [
        _by_subclass(capture, "sofia::pre_register"),
        _by_subclass(capture, "sofia::register_attempt"),
        _by_subclass(capture, "sofia::register"),
        _by_subclass(capture, "sofia::pre_register", 1),
        _by_subclass(capture, "sofia::register_attempt", 1),
        _by_subclass(capture, "sofia::unregister"),
    ]
    for mine, real in zip(ours, theirs, strict=True):
        assert _names(mine) == _names(real)
    # Same registration, same values (apart from the per-run standard headers).
    skip = {"Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4",
            "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp",
            "Event-Sequence"}  # fmt: skip
    for mine, real in zip(ours, theirs, strict=True):
        assert [(k, v) for k, v in mine if k not in skip] == [
            (k, v) for k, v in real if k not in skip
        ]


def test_wrong_password_fires_register_failure_as_in_capture_12(cluster, esl):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    cluster.node("fs1").register_failure(user="1000")
    ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::register_failure")
    attempt = [dict(h) for h in _customs(conn)][1]
    assert attempt["auth-result"] == "FORBIDDEN"
    real = _by_subclass("12-register-unregister-tcp.esl.txt", "sofia::register_failure")
    assert _names(_customs(conn)[-1]) == _names(real)
    assert ev["registration-type"] == "REGISTER"
    assert cluster.node("fs1").agents() == []


def test_json_register_event_has_the_captured_keys_in_order(cluster, esl):
    real = next(
        json.loads(f.body)
        for f in server_frames("21-register-unregister-json.esl.txt")
        if f.content_type == "text/event-json" and b'sofia::register"' in f.body
    )
    conn = esl()
    conn.cmd("event json HEARTBEAT CUSTOM sofia::register sofia::unregister")
    cluster.node("fs1").register_agent(user="1000", transport="tcp")
    conn.drain(0.2)
    mine = json.loads(conn.events[-1].body)
    assert conn.events[-1].header_order == ["Content-Length", "Content-Type"]
    assert conn.events[-1].content_type == "text/event-json"
    assert list(mine) == list(real)


def test_tcp_drop_with_tcp_unreg_on_socket_close_fires_the_capture_22_unregister(cluster, esl):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    fs1.configure(tcp_drop_mode="stock-unreg")
    fs1.register_agent(user="1000", transport="tcp", call_id="1-32631@127.0.0.1")
    assert fs1.drop_agent(user="1000") == {"event": "sofia::unregister"}
    ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::unregister")
    real = _by_subclass(
        "22-register-tcp-kill9-tcp-unreg-on-socket-close.esl.txt", "sofia::unregister"
    )
    assert _names(_customs(conn)[-1]) == _names(real)
    assert ev["reason"] == "socket-disconnection"
    assert ev["call-id"] == "1-32631@127.0.0.1"
    assert ev["Event-Calling-File"] == "sofia.c"
    assert "Total items returned: 0" in conn.api("sofia status profile internal reg")


def test_tcp_drop_without_the_parameter_is_silent_and_the_row_lingers(cluster, esl):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    fs1.configure(tcp_drop_mode="stock-silent")
    fs1.register_agent(user="1000", transport="tcp")
    conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::register")
    count = len(conn.events)
    assert fs1.drop_agent(user="1000") == {"event": "none"}
    conn.drain(0.2)
    assert len(conn.events) == count
    assert "Registered(TCP)" in conn.api("sofia status profile internal reg")


def test_patched_tcp_drop_fires_a_custom_transport_error_with_the_configured_names(cluster, esl):
    conn = esl()
    conn.cmd("event plain CUSTOM sofia::register my::tport_error")
    fs1 = cluster.node("fs1")
    fs1.configure(
        tcp_drop_mode="patched",
        transport_error_subclass="my::tport_error",
        transport_error_ip_header="x-ip",
        transport_error_port_header="x-port",
    )
    fs1.register_agent(user="1000", transport="tcp", network_ip="10.1.2.3", network_port=40123)
    fs1.drop_agent(user="1000")
    ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "my::tport_error")
    assert (ev["x-ip"], ev["x-port"]) == ("10.1.2.3", "40123")
    assert "contact" not in ev and "call-id" not in ev


def test_expiry_sweep_fires_expire_with_absolute_epoch_and_the_row_lingers(make_cluster):
    cluster = make_cluster(sweep_interval=0.3, late_margin=0, expire_linger=0.5)
    from tests.emulator.eslraw import RawEsl

    conn = RawEsl(cluster.ports["fs1"])
    try:
        conn.login()
        conn.cmd(SUBSCRIBE)
        fs1 = cluster.node("fs1")
        row = fs1.register_agent(user="1000", transport="tcp", expires=1)
        assert row["expiry"] == int(row["expiry"])
        ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::expire", timeout=5)
        assert ev["expires"] == str(int(row["expiry"]))
        real = _by_subclass("13-register-expire-tcp.esl.txt", "sofia::expire")
        assert _names(_customs(conn)[-1]) == _names(real)
        # Right after the expire the row is still listed, with a negative-or-zero EXPSECS.
        listing = conn.api("sofia status profile internal reg")
        assert re.search(r"EXPSECS\((-\d+|0)\)", listing)
        time.sleep(0.8)
        assert "Total items returned: 0" in conn.api("sofia status profile internal reg")
        assert conn.api("sofia_contact 1000@127.0.0.1") == "error/user_not_registered"
    finally:
        conn.close()


def test_stored_expiry_is_expires_plus_the_60_second_margin(cluster, esl):
    conn = esl()
    cluster.node("fs1").register_agent(user="1000", transport="tcp", expires=30)
    assert re.search(r"EXPSECS\((89|90)\)", conn.api("sofia status profile internal reg"))
    xml = conn.api("sofia xmlstatus profile internal reg")
    assert re.search(r"expsecs\((89|90)\)</status>", xml)
    assert "<contact>&quot;&quot; &lt;sip:1000@127.0.0.1:" in xml


def test_unreachable_fires_sip_user_state_and_expire_follows_at_the_next_sweep(cluster, esl):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    row = fs1.register_agent(user="1001", expires=300)
    assert fs1.agent_reachable(user="1001") == {"changed": False}  # fires only on a change
    assert fs1.agent_unreachable(user="1001") == {"changed": True}
    ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::sip_user_state")
    assert (ev["Ping-Status"], ev["Status"], ev["Phrase"]) == (
        "UNREACHABLE", "503", "Service Unavailable",
    )  # fmt: skip
    real = _by_subclass("23-options-ping-unreachable.esl.txt", "sofia::sip_user_state")
    assert _names(_customs(conn)[-1]) == _names(real)
    # REACHABLE again does not undo it: the next sweep still expires the row (file 23 part 2).
    assert fs1.agent_reachable(user="1001") == {"changed": True}
    assert fs1.sweep() == {"expired": [row["call_id"]]}
    expire = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::expire")
    assert int(expire["expires"]) <= int(time.time())
    subclasses = [dict(h)["Event-Subclass"] for h in _customs(conn)]
    assert "sofia::unregister" not in subclasses
    assert conn.api("sofia_contact 1001@127.0.0.1") == "error/user_not_registered"


def test_user_dial_fails_with_user_not_registered_for_an_agent_registered_elsewhere(make_cluster):
    cluster = make_cluster(nodes=2)
    cluster.node("fs2").register_agent(user="1000")
    from tests.emulator.eslraw import RawEsl

    conn = RawEsl(cluster.ports["fs1"])
    try:
        conn.login()
        assert conn.api("originate user/1000 &park()") == "-ERR USER_NOT_REGISTERED\n"
        assert conn.api("sofia_contact 1000@127.0.0.1") == "error/user_not_registered"
    finally:
        conn.close()
