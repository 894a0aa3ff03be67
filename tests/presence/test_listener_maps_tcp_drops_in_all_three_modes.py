"""A softphone's TCP connection dies; what the node says depends on its configuration."""

import time

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from telephony.events import TcpDropFormat, TransportDropped, normalise
from tests.presence.processes import wait_until

# django_db: the shared listener reads the test database, so it must exist
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def drop_mode(cluster):
    """Set fs1's TCP-drop behaviour for one test, then restore the stock default."""
    def set_mode(mode):
        cluster.emulator.control.post("fs1", "configure", tcp_drop_mode=mode)
    yield set_mode
    set_mode("stock-unreg")


def test_stock_with_tcp_unreg_on_socket_close_unregisters_by_call_id(cluster, user, drop_mode):
    agent = f"{user}@127.0.0.1"
    drop_mode("stock-unreg")
    cluster.emulator.control.register_agent("fs1", user, transport="tcp")
    wait_until(lambda: cluster.registered(agent), what="registered")

    assert cluster.emulator.control.drop_agent("fs1", user) == {"event": "sofia::unregister"}

    wait_until(lambda: not cluster.registered(agent), what="dropped")
    last = [e for _, e in cluster.store.client.xrange(cluster.store.changes_key)
            if e[b"agent"] == agent.encode()][-1]
    assert last[b"kind"] == b"socket_disconnect"


def test_stock_without_the_parameter_says_nothing_and_the_agent_lingers_until_expiry(
        cluster, user, drop_mode):
    agent = f"{user}@127.0.0.1"
    drop_mode("stock-silent")
    cluster.emulator.control.register_agent("fs1", user, transport="tcp")
    wait_until(lambda: cluster.registered(agent), what="registered")

    assert cluster.emulator.control.drop_agent("fs1", user) == {"event": "none"}
    time.sleep(1.0)
    assert cluster.registered(agent) is True  # nothing told us, exactly as FreeSWITCH (14)

    cluster.emulator.control.post("fs1", "expire_agent", user=user)
    wait_until(lambda: not cluster.registered(agent), what="gone once the node expires it")


def test_patched_transport_error_maps_the_address_back_to_the_registration(
        cluster, user, drop_mode):
    agent, other = f"{user}@127.0.0.1", f"{int(user) + 50000}@127.0.0.1"
    drop_mode("patched")
    control = cluster.emulator.control
    control.register_agent("fs1", user, transport="tcp", network_port=41000)
    control.register_agent("fs1", other.split("@")[0], transport="tcp", network_port=41001)
    wait_until(lambda: cluster.registered(agent) and cluster.registered(other), what="both")

    assert control.drop_agent("fs1", user) == {"event": "sofia::transport_error"}

    wait_until(lambda: not cluster.registered(agent), what="dropped")
    # the patched node still lists the dead registration: reconciles must not bring it back
    time.sleep(1.2)
    assert cluster.registered(agent) is False
    assert cluster.registered(other) is True


def test_new_registration_from_the_same_address_survives_a_late_drop_about_the_old_one(
        cluster, user, drop_mode):
    agent = f"{user}@127.0.0.1"
    store, control = cluster.store, cluster.emulator.control
    drop_mode("patched")
    # our own subscriber sees the drop event exactly as the listener does
    watcher = ESLConnection.for_node(NodeConfig("fs1", "127.0.0.1",
                                                cluster.emulator.ports["fs1"], "ClueCon"))
    watcher.connect()
    watcher.subscribe([], ["sofia::transport_error"])
    try:
        control.register_agent("fs1", user, transport="tcp", network_port=41100,
                               call_id=f"old-{user}@127.0.0.1")
        wait_until(lambda: cluster.registered(agent), what="registered")
        control.drop_agent("fs1", user)
        old_drop = watcher.read_event(timeout=5)
        wait_until(lambda: not cluster.registered(agent), what="dropped")
        # the phone comes back on the same ip:port with a new call-id
        control.register_agent("fs1", user, transport="tcp", network_port=41100,
                               call_id=f"new-{user}@127.0.0.1")
        wait_until(lambda: cluster.registered(agent), what="re-registered")
    finally:
        watcher.close()

    # a standby listener taking over delivers the OLD drop again, late
    late = normalise(old_drop, TcpDropFormat(), time.time())
    assert isinstance(late, TransportDropped) and late.network_port == "41100"
    assert store.apply("fs1", late, time.time()) == 0

    view = store.snapshot([agent], time.time())[agent]
    assert view.registered is True
    assert [r.call_id for r in view.registrations] == [f"new-{user}@127.0.0.1"]
