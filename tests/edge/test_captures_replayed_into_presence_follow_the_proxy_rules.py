"""The captures K1-K9 replayed into the presence store through the proxy's rules: each ends with
the agent routable exactly when Kamailio still holds a usable contact."""

from __future__ import annotations

import pytest

from telephony.evapi import ProxyEvent, parse_ul_dump
from telephony.presence_proxy import ProxyPresence
from tests.edge.captures import dumps, evapi_events

DOMAIN = "agents.sb.test"
PROXY = "kam1"


@pytest.fixture
def proxy(store):
    return ProxyPresence(store)


def replay(store, proxy, events, upto=None, reconcile_with=None):
    """Apply events as the feed does: a hello (or a new boot) reconciles; returns last ts."""
    boot = ""
    ts = 0.0
    for event in events:
        if upto is not None and event.ts > upto:
            break
        ts = event.ts
        if event.kind == "hello" or event.boot != boot:
            boot = event.boot
            proxy.connected(PROXY, boot, ts)
            contacts = parse_ul_dump(reconcile_with, DOMAIN, ts) if reconcile_with else []
            proxy.reconcile(PROXY, boot, contacts, ts)
            continue
        proxy.apply(PROXY, DOMAIN, event, ts)
    return ts


def routable(store, user, now):
    store.sync_agents({"sales": [(f"{u}@{DOMAIN}", 0, True) for u in ("1000", "1001")]}, now)
    return store.snapshot([f"{user}@{DOMAIN}"], now)[f"{user}@{DOMAIN}"].routable


def test_k1_register_makes_the_agent_routable(store, proxy):
    ts = replay(store, proxy, evapi_events("01-register-tcp"))
    assert routable(store, "1000", ts + 0.001)


def test_k2_refresh_keeps_one_registration(store, proxy):
    ts = replay(store, proxy, evapi_events("02-refresh-tcp"))
    view = store.snapshot([f"1000@{DOMAIN}"], ts)[f"1000@{DOMAIN}"]
    assert view.registered and len(view.registrations) == 1


def test_k3_unregister_without_ruid_is_matched_by_aor_and_call_id(store, proxy):
    ts = replay(store, proxy, evapi_events("03-unregister-tcp"))
    assert not routable(store, "1000", ts)


def test_k4_expiry_is_applied_locally_before_the_late_timer_event(store, proxy):
    events = evapi_events("04-expire-no-refresh")
    register = next(e for e in events if e.kind == "register")
    expire = next(e for e in events if e.kind == "expire")
    assert register.expires == 60 and expire.ts - register.ts > 60  # a timer run late
    replay(store, proxy, events, upto=register.ts)
    assert routable(store, "1000", register.ts + 59)
    assert not routable(store, "1000", register.ts + 60.5)  # before Kamailio says so
    assert store.sweep_expired(register.ts + 61) == 1
    replay(store, proxy, events)
    assert not routable(store, "1000", expire.ts)


def test_k5_tcp_kill_unregisters_at_once(store, proxy):
    ts = replay(store, proxy, evapi_events("05-tcp-kill9-unregister-at-once"))
    assert not routable(store, "1000", ts)


def test_k5b_without_the_tcp_closed_removal_the_contact_lasts_until_the_expire_event(
        store, proxy):
    events = evapi_events("05b-tcp-kill9-handle-lost-tcp")
    closed = next(e for e in events if e.kind == "tcp-closed")
    replay(store, proxy, events, upto=closed.ts)
    assert routable(store, "1000", closed.ts)
    ts = replay(store, proxy, events)
    assert not routable(store, "1000", ts)


def test_k6_a_new_call_id_is_a_refresh_and_the_old_connection_dying_keeps_it(store, proxy):
    events = evapi_events("06-same-contact-new-callid")
    kinds = [e.kind for e in events]
    assert kinds.count("register") == 1 and kinds.count("refresh") >= 1
    first_closed = next(e for e in events if e.kind == "tcp-closed")
    replay(store, proxy, events, upto=first_closed.ts)
    view = store.snapshot([f"1000@{DOMAIN}"], first_closed.ts)[f"1000@{DOMAIN}"]
    assert view.registered and len(view.registrations) == 1
    ts = replay(store, proxy, events)
    assert not routable(store, "1000", ts)


def test_k6b_two_contacts_are_two_registrations(store, proxy):
    ts = replay(store, proxy, evapi_events("06b-two-contacts-one-aor"))
    view = store.snapshot([f"1001@{DOMAIN}"], ts)[f"1001@{DOMAIN}"]
    assert len(view.registrations) == 2


def test_k7_a_restart_drops_trust_until_the_reconcile_and_the_table_is_empty(store, proxy):
    events = evapi_events("07-kamailio-restart")
    boots = list(dict.fromkeys(e.boot for e in events))
    assert len(boots) == 2
    before = [e for e in events if e.boot == boots[0]]
    ts = replay(store, proxy, before)
    assert routable(store, "1000", ts)
    proxy.connected(PROXY, boots[1], ts + 1)  # the new boot's hello: untrusted from here
    assert store.node_status(PROXY).state == "syncing"
    assert not routable(store, "1000", ts + 1)
    # the new process's ul.dump, before the phone registers again, lists nothing (capture 07)
    empty = next(d for d in dumps("07-kamailio-restart")[1:] if not parse_ul_dump(d, DOMAIN, 0))
    proxy.reconcile(PROXY, boots[1], parse_ul_dump(empty, DOMAIN, ts + 1), ts + 1)
    assert not routable(store, "1000", ts + 1)
    ts = replay(store, proxy, events)
    assert routable(store, "1000", ts)  # the phone registered again


def test_lookup_miss_makes_the_agent_unregistered_at_once(store, proxy):
    events = evapi_events("01-register-tcp")
    ts = replay(store, proxy, events)
    assert routable(store, "1000", ts)
    last = events[-1]
    miss = ProxyEvent(kind="lookup-miss", node=PROXY, boot=last.boot, seq=last.seq + 1,
                      ts=ts + 1, aor="1000", call_id="call-1")
    proxy.apply(PROXY, DOMAIN, miss, ts + 1)
    assert not routable(store, "1000", ts + 1)
    changes = [e[b"kind"] for _, e in store.client.xrange(store.changes_key)]
    assert b"not_registered" in changes


def test_a_lookup_miss_older_than_a_registration_leaves_it(store, proxy):
    events = evapi_events("01-register-tcp")
    ts = replay(store, proxy, events)
    register = next(e for e in events if e.kind == "register")
    miss = ProxyEvent(kind="lookup-miss", node=PROXY, boot=register.boot,
                      seq=register.seq - 1, ts=ts, aor="1000")
    proxy.apply(PROXY, DOMAIN, miss, ts)
    assert routable(store, "1000", ts)


def test_k8_lookup_misses_for_unregistered_agents_change_nothing(store, proxy):
    ts = replay(store, proxy, evapi_events("08-calls-via-proxy"))
    assert routable(store, "1000", ts)
    assert not routable(store, "1001", ts)


def test_a_lost_proxy_is_untrusted(store, proxy):
    ts = replay(store, proxy, evapi_events("01-register-tcp"))
    store.node_lost(PROXY, ts, "evapi connection lost")
    assert not routable(store, "1000", ts)
    assert store.node_status(PROXY).state == "lost"
