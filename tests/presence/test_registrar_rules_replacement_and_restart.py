"""Presence follows the registrar: silent replacement (31), rows kept by a restart (32c)."""

from dataclasses import replace

from telephony.events import Registered
from tests.presence.conftest import (
    CORE,
    NOW,
    online,
    reachability,
    registered,
    registration,
    unregistered,
)

AGENT = "1000@127.0.0.1"
NEW_CORE = "6c15d6f1-e6b2-4d33-ac33-19c4402f5fa0"


def _call_ids(store, now=NOW):
    return [r.call_id for r in store.snapshot([AGENT], now)[AGENT].registrations]


def _kinds(store, redis_client):
    return [(e[b"kind"].decode(), e[b"detail"].decode())
            for _, e in redis_client.xrange(store.changes_key)]


def test_a_new_call_id_from_the_same_contact_replaces_the_old_one_and_the_burst_is_harmless(
        store, redis_client):
    online(store)
    # The phone's first TCP connection died silently; it registers again from a new port with
    # a new Call-ID and the same Contact: FreeSWITCH drops the old row without an event.
    store.apply("fs1", registered(776, call_id="1-20176@127.0.0.1", port="40001"), NOW)
    store.apply("fs1", registered(781, call_id="2-20176@127.0.0.1", port="40002"), NOW + 5)
    assert _call_ids(store) == ["2-20176@127.0.0.1"]
    assert ("replaced", "1-20176@127.0.0.1") in _kinds(store, redis_client)

    # tcp-unreg-on-socket-close: one unregister per Call-ID ever registered on the connection;
    # the one for the replaced Call-ID must not touch the newer registration.
    assert store.apply("fs1", unregistered(788, "1-20176@127.0.0.1", "socket_disconnect"),
                       NOW + 6) == 0
    assert _call_ids(store, NOW + 6) == ["2-20176@127.0.0.1"]
    assert store.snapshot([AGENT], NOW + 6)[AGENT].routable is True
    store.apply("fs1", unregistered(790, "2-20176@127.0.0.1", "socket_disconnect"), NOW + 6)
    assert store.snapshot([AGENT], NOW + 6)[AGENT].routable is False


def test_the_same_network_address_replaces_even_with_another_contact(store):
    online(store)
    first = registration(call_id="a@x", port="5071")
    store.apply("fs1", Registered(CORE, 10, first), NOW)
    moved = replace(first, call_id="b@x", contact='"" <sip:1000@10.0.0.9:5999;transport=TCP>')
    store.apply("fs1", Registered(CORE, 11, moved), NOW + 1)
    assert _call_ids(store, NOW + 1) == ["b@x"]


def test_two_devices_of_one_agent_stay_and_other_nodes_are_untouched(store):
    online(store)
    online(store, node="fs2")
    desk = registration(call_id="desk@x", port="5071")
    soft = replace(desk, call_id="soft@x", network_port="6000",
                   contact='"" <sip:1000@10.0.0.7:6000;transport=TCP>')
    store.apply("fs1", Registered(CORE, 10, desk), NOW)
    store.apply("fs2", Registered(CORE, 10, replace(desk, call_id="other-node@x")), NOW)
    store.apply("fs1", Registered(CORE, 11, soft), NOW + 1)
    assert sorted(_call_ids(store, NOW + 1)) == ["desk@x", "other-node@x", "soft@x"]


def test_a_reconcile_from_a_lagging_listing_does_not_bring_a_replaced_row_back(store):
    online(store)
    old = registration(call_id="1-x", port="40001", expires_at=NOW + 3600)
    new = registration(call_id="2-x", port="40002", expires_at=NOW + 3605)
    store.apply("fs1", Registered(CORE, 10, old), NOW)
    store.apply("fs1", Registered(CORE, 11, new), NOW + 5)
    # The SQL behind `sofia xmlstatus` lags the events: it may still list the old row.
    store.reconcile("fs1", CORE, [old, new], NOW + 6)
    assert _call_ids(store, NOW + 6) == ["2-x"]


def _restart(store, rows, now):
    store.node_connected("fs1", NEW_CORE, now)
    store.reconcile("fs1", NEW_CORE, rows, now)


def test_tcp_rows_persisted_by_a_restart_are_not_routable_until_a_fresh_register(
        store, redis_client):
    online(store, agents=(AGENT, "1001@127.0.0.1"))
    tcp = registration(call_id="1-21098@127.0.0.1", port="5070", expires_at=NOW + 3660)
    udp = registration(agent="1001@127.0.0.1", call_id="1-21099@127.0.0.1", port="5071",
                       transport="udp", expires_at=NOW + 3660)
    store.apply("fs1", Registered(CORE, 913, tcp), NOW)
    store.apply("fs1", Registered(CORE, 918, udp), NOW)

    # 32c: the new run lists both rows with their old expiry; no event announced them.
    _restart(store, [replace(tcp, expires_at=NOW + 3660), replace(udp, expires_at=NOW + 3660)],
             NOW + 16)
    views = store.snapshot([AGENT, "1001@127.0.0.1"], NOW + 16)
    assert [(r.stale, r.trusted) for r in views[AGENT].registrations] == [(True, False)]
    assert views[AGENT].routable is False
    assert views["1001@127.0.0.1"].routable is True  # UDP: the contact outlives the process
    assert store.stale_registrations("fs1") == ["1-21098@127.0.0.1"]
    assert store.reserve("sales", ["fs1"], NOW + 16, 30).agent == "1001@127.0.0.1"
    assert ("stale", "1-21098@127.0.0.1") in _kinds(store, redis_client)

    # Later reconciles in the same run keep it stale.
    store.reconcile("fs1", NEW_CORE, [tcp, udp], NOW + 40)
    assert store.snapshot([AGENT], NOW + 40)[AGENT].routable is False

    # A fresh sofia::register under the new Core-UUID proves a phone is behind it.
    store.apply("fs1", Registered(NEW_CORE, 460, replace(tcp, expires_at=NOW + 3700)), NOW + 41)
    assert store.snapshot([AGENT], NOW + 41)[AGENT].routable is True
    assert store.stale_registrations("fs1") == []


def test_an_options_answer_under_the_new_core_proves_a_stale_row(store):
    online(store)
    tcp = registration(expires_at=NOW + 3660)
    store.apply("fs1", Registered(CORE, 10, tcp), NOW)
    _restart(store, [tcp], NOW + 10)
    assert store.snapshot([AGENT], NOW + 10)[AGENT].routable is False
    store.apply("fs1", reachability(900, True, core=CORE), NOW + 11)  # the old run's: no proof
    assert store.snapshot([AGENT], NOW + 11)[AGENT].routable is False
    assert store.apply("fs1", reachability(20, True, core=NEW_CORE), NOW + 11) == 1
    assert store.snapshot([AGENT], NOW + 11)[AGENT].routable is True


def test_a_listed_expiry_later_than_the_held_one_means_it_registered_again(store):
    online(store)
    tcp = registration(expires_at=NOW + 3660)
    store.apply("fs1", Registered(CORE, 10, tcp), NOW)
    # Re-registered after the restart before the listener came back: the expiry moved on.
    _restart(store, [replace(tcp, expires_at=NOW + 3690)], NOW + 30)
    assert store.snapshot([AGENT], NOW + 30)[AGENT].routable is True


def test_a_node_seen_for_the_first_time_is_not_judged_a_restart(store):
    store.node_connected("fs1", NEW_CORE, NOW)
    store.reconcile("fs1", NEW_CORE, [registration(expires_at=NOW + 300)], NOW)
    store.sync_agents({"sales": [(AGENT, 0, True)]}, NOW)
    assert store.snapshot([AGENT], NOW)[AGENT].routable is True
    assert store.claim_restart_flush("fs1", NEW_CORE) is True
    assert store.claim_restart_flush("fs1", NEW_CORE) is False  # once per run
