"""The real events and listings of captures 31, 32 and 32c, replayed into the presence store."""

from telephony.events import Heartbeat, TcpDropFormat, normalise
from telephony.registrations import parse_xmlstatus
from tests.presence.captures import api_bodies, events
from tests.presence.conftest import online

DROP = TcpDropFormat()
AGENT = "1001@127.0.0.1"
OLD_CORE = "30e92c33-6aa7-4501-b391-706a7cb287eb"
NEW_CORE = "6c15d6f1-e6b2-4d33-ac33-19c4402f5fa0"


def _inputs(name, now):
    return [p for e in events(name) if (p := normalise(e, DROP, now)) is not None
            and not isinstance(p, Heartbeat)]


def _call_ids(store, agents, now):
    views = store.snapshot(agents, now)
    return {a: sorted(r.call_id for r in views[a].registrations) for a in agents}


def test_capture_31_leaves_only_what_freeswitch_lists_at_every_step(store):
    now = 1_796_156_546.0
    online(store, core=OLD_CORE, agents=(AGENT,), now=now)
    inputs = _inputs("31-register-replaced-same-contact-tcp.esl.txt", now)
    # part 1: register 1-, register 2- (same contact: 1- is replaced), then the burst.
    for event in inputs[:2]:
        store.apply("fs1", event, now)
    assert _call_ids(store, [AGENT], now)[AGENT] == ["2-20176@127.0.0.1"]
    assert store.snapshot([AGENT], now)[AGENT].routable is True
    # The listing the capture took right then agrees.
    listed = parse_xmlstatus(api_bodies("31-register-replaced-same-contact-tcp.esl.txt",
                                        "<call-id>2-20176")[0], "internal", now)
    assert [r.call_id for r in listed] == ["2-20176@127.0.0.1"]
    for event in inputs[2:4]:  # sofia::unregister for 1- (replaced) and 2-
        store.apply("fs1", event, now)
    assert _call_ids(store, [AGENT], now)[AGENT] == []
    # part 2: two processes from the same port, each with its own unregister.
    for event in inputs[4:]:
        store.apply("fs1", event, now)
    assert _call_ids(store, [AGENT], now)[AGENT] == []
    assert len(inputs) == 8


def test_capture_32_then_32c_keeps_the_dead_tcp_rows_out_of_routing_until_flushed(store):
    now = 1_796_156_639.0
    agents = ["1000@127.0.0.1", AGENT]
    online(store, core=OLD_CORE, agents=agents, now=now)
    for event in _inputs("32-shutdown-with-tcp-registrations.esl.txt", now):
        store.apply("fs1", event, now)
    assert all(store.snapshot(agents, now)[a].routable for a in agents)

    # The restart: a new Core-UUID, and the new process lists both rows with their old expiry.
    later = 1_796_156_656.0
    store.node_connected("fs1", NEW_CORE, later)
    listing = api_bodies("32c-restart-persisted-tcp-registrations.esl.txt", "1-21098")[0]
    store.reconcile("fs1", NEW_CORE, parse_xmlstatus(listing, "internal", later), later)
    views = store.snapshot(agents, later)
    assert [r.stale for a in agents for r in views[a].registrations] == [True, True]
    assert not any(views[a].routable for a in agents)
    assert store.stale_registrations("fs1") == ["1-21098@127.0.0.1", "1-21099@127.0.0.1"]

    # flush_inbound_reg: one sofia::expire per row.
    for event in _inputs("32c-restart-persisted-tcp-registrations.esl.txt", later):
        store.apply("fs1", event, later)
    assert _call_ids(store, agents, later) == {a: [] for a in agents}
