"""Replaced and persisted registrations, flush_inbound_reg: captures 31, 32, 32b and 32c."""

from __future__ import annotations

import re

from tests.emulator.captures import conversation, server_frames

C31 = "31-register-replaced-same-contact-tcp.esl.txt"
C32 = "32-shutdown-with-tcp-registrations.esl.txt"
C32B = "32b-shutdown-control-connection.esl.txt"
C32C = "32c-restart-persisted-tcp-registrations.esl.txt"
# The captures' subscription (files 26 on), a dialer listener's.
SUBSCRIBE = (
    "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE "
    "CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_PARK BACKGROUND_JOB "
    "DTMF HEARTBEAT CUSTOM sofia::register sofia::unregister sofia::expire sofia::sip_user_state "
    "sofia::pre_register sofia::register_attempt"
)
STANDARD = {"Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4",
            "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp",
            "Event-Sequence"}  # fmt: skip


def _customs_of_capture(name: str) -> list[list[tuple[str, str]]]:
    return [
        f.event_headers()
        for f in server_frames(name)
        if f.content_type == "text/event-plain" and f.event().get("Event-Name") == "CUSTOM"
    ]


def _customs(conn) -> list[list[tuple[str, str]]]:
    return [f.event_headers() for f in conn.events if f.event().get("Event-Name") == "CUSTOM"]


def _summary(events: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return [(dict(h)["Event-Subclass"], dict(h)["call-id"]) for h in events]


def _values(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k not in STANDARD]


def _api_replies(name: str) -> dict[str, list[str]]:
    """Each api command of a capture with the bodies of its replies, in order."""
    out: dict[str, list[str]] = {}
    pending: list[str] = []
    for kind, item in conversation(name):
        if kind == "C" and item.startswith(b"api "):  # type: ignore[union-attr]
            pending.append(item.decode().strip()[4:])  # type: ignore[union-attr]
        elif kind == "S" and pending and item.content_type == "api/response":  # type: ignore[union-attr]
            out.setdefault(pending.pop(0), []).append(item.body.decode())  # type: ignore[union-attr]
    return out


def _register_1001(fs1, call_id: str) -> dict:
    return fs1.register_agent(
        user="1001", transport="tcp", expires=3600, network_port=5071, contact_port=5073,
        call_id=call_id, user_agent="sipp-fixture",
    )  # fmt: skip


def _without_times(listing: str) -> str:
    listing = re.sub(r"exp\([^)]*\) expsecs\(-?\d+\)", "EXP", listing, flags=re.IGNORECASE)
    return listing.replace("<host>vm</host>", "<host>fs1</host>").replace("\tvm\n", "\tfs1\n")


def test_a_new_call_id_from_the_same_contact_replaces_the_row_silently_as_in_capture_31(
    cluster, esl
):
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    _register_1001(fs1, "1-20176@127.0.0.1")
    conn.wait_event(lambda e: e.get("call-id") == "1-20176@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::register")  # fmt: skip
    _register_1001(fs1, "2-20176@127.0.0.1")
    conn.wait_event(lambda e: e.get("call-id") == "2-20176@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::register")  # fmt: skip
    real = _customs_of_capture(C31)
    # Nothing at all for the replaced 1-: the six events are those of the capture, in order.
    assert _summary(_customs(conn)) == _summary(real[:6])
    for mine, theirs in zip(_customs(conn), real[:6], strict=True):
        assert _values(mine) != [] and [k for k, _ in mine] == [k for k, _ in theirs]
    # xmlstatus lists only the new Call-ID, as the capture's second listing does.
    listing = conn.api("sofia xmlstatus profile internal reg")
    captured = _api_replies(C31)["sofia xmlstatus profile internal reg"][1]
    assert _without_times(listing) == _without_times(captured)
    assert "1-20176" not in conn.api("sofia status profile internal reg 1001")

    # The TCP connection closes: one sofia::unregister per Call-ID ever registered on it,
    # the replaced one first, in the same burst (tcp-unreg-on-socket-close).
    assert fs1.drop_agent(user="1001") == {"event": "sofia::unregister"}
    conn.wait_event(lambda e: e.get("call-id") == "2-20176@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::unregister")  # fmt: skip
    burst = _customs(conn)[6:]
    assert _summary(burst) == _summary(real[6:8]) == [
        ("sofia::unregister", "1-20176@127.0.0.1"), ("sofia::unregister", "2-20176@127.0.0.1"),
    ]  # fmt: skip
    for mine, theirs in zip(burst, real[6:8], strict=True):
        assert _values(mine) == _values(theirs)
    seqs = [int(dict(h)["Event-Sequence"]) for h in burst]
    assert seqs[1] - seqs[0] == 2  # as in the capture (788, 790)
    empty = _api_replies(C31)["sofia xmlstatus profile internal reg"][2]
    assert conn.api("sofia xmlstatus profile internal reg") == empty


def test_each_connection_from_the_same_port_unregisters_only_its_own_call_ids(cluster, esl):
    """Capture 31 part 2: a process exits, another registers from the same port, is killed."""
    conn = esl()
    conn.cmd(SUBSCRIBE)
    fs1 = cluster.node("fs1")
    _register_1001(fs1, "1-20287@127.0.0.1")
    fs1.drop_agent(user="1001")
    _register_1001(fs1, "1-20288@127.0.0.1")
    fs1.drop_agent(user="1001")
    conn.wait_event(lambda e: e.get("call-id") == "1-20288@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::unregister")  # fmt: skip
    assert _summary(_customs(conn)) == _summary(_customs_of_capture(C31)[8:])
    assert "Total items returned: 0" in conn.api("sofia status profile internal reg")


def _register_both(fs1) -> list[dict]:
    return [
        fs1.register_agent(user=user, transport="tcp", expires=3600, network_port=port,
                           contact_port=port + 2, call_id=f"{cid}@127.0.0.1",
                           user_agent="sipp-fixture")
        for user, port, cid in (("1000", 5070, "1-21098"), ("1001", 5071, "1-21099"))
    ]  # fmt: skip


def test_shutdown_sends_no_unregister_and_the_rows_survive_the_restart_as_in_32_and_32c(
    cluster, esl
):
    fs1 = cluster.node("fs1")
    fs1.configure(shutdown_delay=0.05)
    watcher = esl()
    watcher.cmd(SUBSCRIBE)
    rows = _register_both(fs1)
    watcher.wait_event(lambda e: e.get("call-id") == "1-21099@127.0.0.1"
                       and e.get("Event-Subclass") == "sofia::register")  # fmt: skip
    before = watcher.api("sofia xmlstatus profile internal reg")
    old_core = watcher.api("global_getvar core_uuid")
    count = len(watcher.events)

    control = esl()
    assert control.api("fsctl shutdown") == _api_replies(C32B)["fsctl shutdown"][0]
    assert watcher.wait_eof() and control.wait_eof()
    # 32: nothing but the disconnect notice after the command, no unregister, no expire.
    assert len(watcher.events) == count
    assert watcher.raw.endswith(b"The system is being shut down.\n")
    assert [f.content_type for f in server_frames(C32)][-1] == "text/disconnect-notice"

    fs1.start()
    fresh = esl()
    fresh.cmd(SUBSCRIBE)
    assert fresh.api("global_getvar core_uuid") != old_core
    after = fresh.api("sofia xmlstatus profile internal reg")
    # Both rows, same Call-IDs and the same absolute expiry (exp(...) unchanged).
    assert re.findall(r"exp\(([^)]*)\)", after) == re.findall(r"exp\(([^)]*)\)", before)
    captured = _api_replies(C32C)
    assert _without_times(after) == _without_times(
        captured["sofia xmlstatus profile internal reg"][0]
    )
    assert _without_times(fresh.api("sofia status profile internal reg")) == _without_times(
        captured["sofia status profile internal reg"][0]
    ).replace("EXP(2026-12-01 21:24:59) EXPSECS(3644)", "EXP")
    shown = fresh.api("show registrations").replace(",vm,", ",fs1,")
    real_shown = captured["show registrations"][0].replace(",vm,", ",fs1,")
    expiry = str(int(rows[0]["expiry"]))
    assert shown.replace(expiry, "E") == real_shown.replace("1796160299", "E")
    # Their sockets died with the old process: a phone that dies now fires nothing.
    assert fs1.drop_agent(user="1000") == {"event": "none"}
    fresh.drain(0.1)
    assert _customs(fresh) == []


def test_flush_inbound_reg_replies_and_fires_one_expire_per_row_as_in_32c(cluster, esl):
    fs1 = cluster.node("fs1")
    rows = _register_both(fs1)
    fs1.restart()
    conn = esl()
    conn.cmd(SUBSCRIBE)
    captured = _api_replies(C32C)
    real_expires = [
        h for h in _customs_of_capture(C32C) if dict(h)["Event-Subclass"] == "sofia::expire"
    ]

    one = "sofia profile internal flush_inbound_reg 1000@127.0.0.1"
    assert conn.api(one) == captured[one][0]
    ev = conn.wait_event(lambda e: e.get("Event-Subclass") == "sofia::expire")
    assert ev["call-id"] == "1-21098@127.0.0.1"
    assert ev["expires"] == str(int(rows[0]["expiry"]))  # the stored absolute epoch
    mine = [h for h in _customs(conn) if dict(h)["Event-Subclass"] == "sofia::expire"]
    assert [k for k, _ in mine[0]] == [k for k, _ in real_expires[0]]
    expected = [(k, v if k != "expires" else ev["expires"]) for k, v in _values(real_expires[0])]
    assert _values(mine[0]) == expected
    listing = conn.api("sofia xmlstatus profile internal reg")
    assert "1-21098" not in listing and "1-21099" in listing

    everything = "sofia profile internal flush_inbound_reg"
    assert conn.api(everything) == captured[everything][0]
    conn.wait_event(lambda e: e.get("call-id") == "1-21099@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::expire")  # fmt: skip
    assert (
        conn.api("sofia xmlstatus profile internal reg")
        == (captured["sofia xmlstatus profile internal reg"][-1])
    )
    assert (
        conn.api("sofia status profile internal reg")
        == (captured["sofia status profile internal reg"][-1])
    )
    # A Call-ID argument, `reboot`, and an unknown profile.
    fs1.register_agent(user="1002", transport="udp", call_id="x-1@127.0.0.1")
    assert (
        conn.api("sofia profile internal flush_inbound_reg x-1@127.0.0.1 reboot")
        == (captured[one][0])
    )
    conn.wait_event(lambda e: e.get("call-id") == "x-1@127.0.0.1"
                    and e.get("Event-Subclass") == "sofia::expire")  # fmt: skip
    assert conn.api("sofia profile nosuch flush_inbound_reg") == "Invalid Profile [nosuch]"


def test_dialling_a_row_kept_from_before_the_restart_fails_as_in_32c_until_it_registers(
    cluster, esl
):
    fs1 = cluster.node("fs1")
    _register_both(fs1)
    fs1.restart()
    conn = esl()
    conn.cmd(SUBSCRIBE)
    job = "32323232-0000-4000-8000-000000000032"
    conn.cmd(
        "bgapi originate {origination_uuid=00000000-0000-4000-8000-000000000032,attempt_id=132}"
        f"user/1000@127.0.0.1 &park()\nJob-UUID: {job}"
    )
    done = conn.wait_event(lambda e: e.get("Event-Name") == "BACKGROUND_JOB")
    real = [f for f in server_frames(C32C) if f.content_type == "text/event-plain"]
    real_names = [f.event()["Event-Name"] for f in real if f.event()["Event-Name"] != "CUSTOM"]
    mine = [f.event()["Event-Name"] for f in conn.events if f.event()["Event-Name"] != "CUSTOM"]
    assert mine[: len(real_names)] == real_names
    hangup = next(f.event() for f in conn.events if f.event()["Event-Name"] == "CHANNEL_HANGUP")
    real_hangup = next(f.event() for f in real if f.event()["Event-Name"] == "CHANNEL_HANGUP")
    keys = ("Channel-Name", "Hangup-Cause", "variable_sip_hangup_disposition",
            "variable_sip_term_status", "variable_proto_specific_hangup_cause")  # fmt: skip
    assert [hangup.get(k) for k in keys] == [real_hangup.get(k) for k in keys]
    body = next(f for f in conn.events if f.event()["Event-Name"] == "BACKGROUND_JOB")
    assert done["Job-UUID"] == job
    assert body.event_body() == b"-ERR NORMAL_TEMPORARY_FAILURE\n"

    # The phone comes back and registers again: the same user is reachable.
    fs1.register_agent(user="1000", transport="tcp", expires=3600, network_port=5070,
                       contact_port=5072, call_id="1-21098@127.0.0.1")  # fmt: skip
    assert conn.api("originate user/1000@127.0.0.1 &park()").startswith("+OK ")
