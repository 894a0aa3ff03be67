"""Real listener, real emulator over TCP: replaced registrations and registrations persisted by a
restart (captures 31, 32, 32c) never leave an agent routable with no phone behind it."""

import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration

A1000, A1001 = "1000@127.0.0.1", "1001@127.0.0.1"


def _changes(store, agent):
    return [(e[b"kind"].decode(), e[b"detail"].decode())
            for _, e in store.client.xrange(store.changes_key) if e[b"agent"] == agent.encode()]


def _registrations(store, agent):
    return store.snapshot([agent], time.time())[agent].registrations


def _listed(emulator, node="fs1"):
    return sorted(a["call_id"] for a in emulator.control.get(node, "agents"))


def test_a_replaced_registration_leaves_no_ghost_when_the_phone_dies(
        emulator, listener, routable, store):
    control = emulator.control
    # The phone's first TCP connection (port 40001) died without a FIN; it connected again
    # (port 40002) and registered with a new Call-ID from the same Contact.
    control.register_agent("fs1", "1000", transport="tcp", network_port=40001,
                           contact_port=5072, call_id="1-ghost@127.0.0.1")
    wait_until(routable, what="registered")
    control.register_agent("fs1", "1000", transport="tcp", network_port=40002,
                           contact_port=5072, call_id="2-ghost@127.0.0.1")
    wait_until(lambda: [r.call_id for r in _registrations(store, A1000)] == ["2-ghost@127.0.0.1"],
               what="the old registration replaced")
    assert _listed(emulator) == ["2-ghost@127.0.0.1"]  # FreeSWITCH dropped it silently

    # The phone is killed: its connection carried only the new Call-ID.
    assert control.drop_agent("fs1", "1000") == {"event": "sofia::unregister"}
    wait_until(lambda: not routable(), what="not routable")  # reconcile is every 30 s here
    changes = _changes(store, A1000)
    assert ("replaced", "1-ghost@127.0.0.1") in changes
    assert changes[-1] == ("socket_disconnect", "2-ghost@127.0.0.1")
    assert not any(kind == "reconcile_remove" for kind, _ in changes)
    assert _registrations(store, A1000) == ()


def test_the_unregister_burst_for_every_call_id_of_a_connection_is_harmless(
        emulator, listener, routable, store):
    control = emulator.control
    # A second device of the agent, on its own connection, that stays up.
    control.register_agent("fs1", "1001", transport="tcp", network_port=6001, contact_port=6001,
                           call_id="3-other@127.0.0.1")
    # Capture 31: two REGISTERs over one connection, the second replacing the first.
    control.register_agent("fs1", "1001", transport="tcp", network_port=5071, contact_port=5073,
                           call_id="1-20176@127.0.0.1")
    control.register_agent("fs1", "1001", transport="tcp", network_port=5071, contact_port=5073,
                           call_id="2-20176@127.0.0.1")
    wait_until(lambda: sorted(r.call_id for r in _registrations(store, A1001))
               == ["2-20176@127.0.0.1", "3-other@127.0.0.1"], what="replaced")
    # That connection closes: one unregister for 1- (already replaced) and one for 2-.
    assert control.drop_agent("fs1", "1001") == {"event": "sofia::unregister"}
    wait_until(lambda: ("socket_disconnect", "2-20176@127.0.0.1") in _changes(store, A1001),
               what="the burst applied")
    assert [r.call_id for r in _registrations(store, A1001)] == ["3-other@127.0.0.1"]
    assert routable(A1001) is True
    assert _listed(emulator) == ["3-other@127.0.0.1"]


def test_after_a_restart_persisted_tcp_registrations_wait_for_a_fresh_register(
        emulator, listener, routable, store):
    control = emulator.control
    control.register_agent("fs1", "1000", transport="tcp", call_id="1-21098@127.0.0.1")
    control.register_agent("fs1", "1001", transport="udp", call_id="1-21099@127.0.0.1")
    wait_until(lambda: routable(A1000) and routable(A1001), what="both registered")

    new_core = control.lifecycle("fs1", "restart", down_for=0.3)["core_uuid"]
    wait_until(lambda: store.node_status("fs1").core == new_core
               and store.node_status("fs1").up, timeout=20, what="reconciled after the restart")
    # The node still lists both rows (32c), with no event for them.
    assert _listed(emulator) == ["1-21098@127.0.0.1", "1-21099@127.0.0.1"]
    tcp = _registrations(store, A1000)
    assert [(r.call_id, r.stale, r.trusted) for r in tcp] == [("1-21098@127.0.0.1", True, False)]
    assert routable(A1000) is False
    assert routable(A1001) is True  # UDP: the contact does not depend on the dead process
    # The phone is dead: nothing will ever come for it, and it stays out of routing.
    assert control.drop_agent("fs1", "1000") == {"event": "none"}
    time.sleep(1.0)
    assert routable(A1000) is False
    assert store.reserve("sales", ["fs1"], time.time(), 5).agent == "1001@127.0.0.1"

    # A fresh REGISTER over a new connection brings the agent back.
    control.register_agent("fs1", "1000", transport="tcp", call_id="1-21098@127.0.0.1")
    wait_until(lambda: routable(A1000), what="routable again after a fresh REGISTER")
    assert [r.stale for r in _registrations(store, A1000)] == [False]


def test_the_opt_in_flush_expires_only_the_stale_rows_once_per_restart(
        emulator, start_listener, routable, store):
    first = start_listener(env={"PRESENCE_FLUSH_STALE_AFTER_RESTART": "true"})
    control = emulator.control
    control.register_agent("fs1", "1000", transport="tcp", call_id="1-21098@127.0.0.1")
    control.register_agent("fs1", "1001", transport="udp", call_id="1-21099@127.0.0.1")
    wait_until(lambda: routable(A1000) and routable(A1001), what="both registered")

    control.lifecycle("fs1", "restart", down_for=0.3)
    wait_until(lambda: _listed(emulator) == ["1-21099@127.0.0.1"], timeout=20,
               what="the stale TCP row flushed on the node")
    wait_until(lambda: ("expire", "1-21098@127.0.0.1") in _changes(store, A1000),
               what="its sofia::expire applied")
    assert _registrations(store, A1000) == ()
    assert routable(A1001) is True
    flushes = control.commands("fs1", contains="flush_inbound_reg")
    assert [c["command"] for c in flushes] == [
        "api sofia profile internal flush_inbound_reg 1-21098@127.0.0.1"]

    # The next listener (or a reconnect) in the same run does not flush again.
    first.stop()
    second = start_listener(env={"PRESENCE_FLUSH_STALE_AFTER_RESTART": "true"})
    control.register_agent("fs1", "1002", transport="tcp", call_id="x-1002@127.0.0.1")
    wait_until(lambda: routable("1002@127.0.0.1"), what="a new registration in this run")
    assert second.alive
    assert len(control.commands("fs1", contains="flush_inbound_reg")) == 1
