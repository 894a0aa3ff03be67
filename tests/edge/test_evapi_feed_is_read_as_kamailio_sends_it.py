"""The evapi feed and ul.dump answers of the real captures parse; a malformed feed is refused."""

from __future__ import annotations

import json

import pytest

from telephony.evapi import (
    MAX_MESSAGE,
    EvapiError,
    NetstringReader,
    RpcError,
    parse_event,
    parse_ul_dump,
)
from tests.edge.captures import FIXTURES, dumps, evapi_events

CAPTURES = sorted(p.name.removesuffix(".evapi.txt") for p in FIXTURES.glob("*.evapi.txt"))


def test_every_capture_is_there():
    assert len(CAPTURES) == 13


@pytest.mark.parametrize("name", CAPTURES)
def test_each_capture_frames_into_events_with_increasing_seq_per_boot(name):
    events = evapi_events(name)
    assert events and events[0].kind == "hello"
    last: dict[str, int] = {}
    for event in events:
        assert event.node == "kam1"
        assert event.seq > last.get(event.boot, 0)
        last[event.boot] = event.seq


def test_register_carries_ruid_source_and_relative_expiry():
    register = next(e for e in evapi_events("01-register-tcp") if e.kind == "register")
    assert register.aor == "1000" and register.ruid.startswith("uloc-")
    assert (register.src_ip, register.src_port, register.proto) == ("127.0.0.1", "5201", "tcp")
    assert register.expires == 120 and register.call_id


def test_unregister_has_no_ruid_and_tcp_closed_names_its_action():
    unregister = next(e for e in evapi_events("03-unregister-tcp") if e.kind == "unregister")
    assert unregister.ruid == "" and unregister.call_id and unregister.aor == "1000"
    closed = next(e for e in evapi_events("05-tcp-kill9-unregister-at-once")
                  if e.kind == "tcp-closed")
    assert closed.action == "unregister" and closed.ruid.startswith("uloc-")


def test_a_message_split_over_reads_is_framed_by_its_length():
    payload = json.dumps({"event": "hello", "node": "kam1", "boot": "1-2", "seq": 1}).encode()
    wire = b"%d:%s," % (len(payload), payload) * 2
    reader = NetstringReader()
    got = []
    for i in range(0, len(wire), 7):
        got += reader.feed(wire[i:i + 7])
    assert got == [payload, payload]


@pytest.mark.parametrize("wire", [
    b"abc:{},", b"12x:{}", b"2:{}}", b"5:{}", b"123456789:", b"-1:,",
    b"%d:" % (MAX_MESSAGE + 1),
])
def test_malformed_netstrings_are_refused(wire):
    reader = NetstringReader()
    with pytest.raises(EvapiError):
        reader.feed(wire)
        reader.feed(b"x" * 16)


@pytest.mark.parametrize("payload", [
    b"not json", b"[1,2]", b'{"event":"register","boot":"1-2"}',
    b'{"event":"register","boot":"x\\ny","seq":3}',
    b'{"event":"register","boot":"1-2","seq":3,"aor":"1000\\r\\nX: y"}',
    b'{"event":"register","boot":"1-2","seq":3,"aor":"1000,1001"}',
    b'{"event":"register","boot":"1-2","seq":3,"aor":"10 00"}',
    b'{"event":"register","boot":"1-2","seq":3,"ruid":"uloc|x"}',
    b'{"event":"register","boot":"1-2","seq":3,"ruid":"u\'x"}',
    b'{"event":"register","boot":"1-2","seq":3,"ruid":"a}b&c"}',
    b'{"event":"register","boot":"1-2","seq":true}',
    b'{"event":"register","boot":"1-2","seq":3,"callid":{"a":1}}',
])
def test_hostile_messages_are_refused(payload):
    with pytest.raises(EvapiError):
        parse_event(payload)


def test_ul_dump_lists_contacts_keyed_by_ruid_with_their_call_id():
    listed = [d for d in dumps("01-register-tcp") if d["Domains"][0]["Domain"]["AoRs"]][0]
    (contact,) = parse_ul_dump(listed, "agents.sb.test", 1000.0)
    reg = contact.registration
    assert reg.agent == "1000@agents.sb.test" and reg.call_id.startswith("uloc-")
    assert (reg.network_ip, reg.network_port, reg.transport) == ("127.0.0.1", "5201", "tcp")
    assert 1000.0 + 100 < reg.expires_at <= 1120.0 and contact.sip_call_id


def test_ul_dump_leaves_out_a_contact_being_deleted():
    # 09c: right after the call to a dead contact, ul.dump shows it with `Expires: deleted`.
    for answer in dumps("09c-call-contact-tcp-gone-filtered"):
        text = json.dumps(answer)
        if '"deleted"' in text:
            assert parse_ul_dump(answer, "agents.sb.test", 0.0) == []
            return
    raise AssertionError("capture 09c has no deleted contact")


def test_an_answer_without_domains_is_an_error():
    with pytest.raises(RpcError):
        parse_ul_dump({"nothing": 1}, "agents.sb.test", 0.0)
