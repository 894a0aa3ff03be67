"""Two listeners: one owns each node; a standby takes over when the owner dies. SIGTERM drains."""

import signal

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def owners(store, emulator):
    return {name: store.client.get(f"{store.prefix}:listener:owner:{name}")
            for name in emulator.ports}


def test_a_standby_listener_takes_over_when_the_owner_is_killed(
        emulator, start_listener, routable, store):
    first = start_listener(lease=1.0)
    second = start_listener(lease=1.0, wait=False)
    held = owners(store, emulator)
    assert all(value and value.decode().split(":")[1] == str(first.pid)
               for value in held.values())
    second.wait_for("starting")
    assert "connected" not in second.log()  # the standby holds no connection

    first.signal(signal.SIGKILL)  # no chance to release its leases
    for name, port in emulator.ports.items():
        second.wait_for(f"node {name} (127.0.0.1:{port}) connected", timeout=20)

    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="events applied by the new owner")
    assert all(value.decode().split(":")[1] == str(second.pid)
               for value in owners(store, emulator).values())


def test_sigterm_drains_closes_connections_and_frees_the_leases(
        emulator, listener, store):
    listener.signal(signal.SIGTERM)

    assert listener.proc.wait(timeout=15) == 0
    log = listener.log()
    assert "stopping" in log and "stopped" in log
    assert owners(store, emulator) == {name: None for name in emulator.ports}
    wait_until(lambda: all(emulator.control.stats(n)["listeners"] == 0 for n in emulator.ports),
               what="emulator sees no listener left")


def test_with_no_listener_alive_the_nodes_agents_stop_being_routable(
        emulator, listener, routable, store):
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")

    listener.signal(signal.SIGKILL)  # nobody declares the node lost: its trust just lapses

    wait_until(lambda: not routable(), timeout=15, what="unroutable once trust lapsed")
    assert store.node_status("fs1").state == "up"  # nobody said otherwise; it is just stale
