"""A softphone's TCP connection dies; what the node says depends on its configuration."""

import time

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from telephony.events import TcpDropFormat, TransportDropped, normalise
from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration
A = "1000@127.0.0.1"


def test_stock_with_tcp_unreg_on_socket_close_unregisters_by_call_id(emulator, listener, routable):
    emulator.control.post("fs1", "configure", tcp_drop_mode="stock-unreg")
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")

    assert emulator.control.drop_agent("fs1", "1000") == {"event": "sofia::unregister"}

    wait_until(lambda: not routable(), what="dropped agent unroutable")


def test_stock_without_the_parameter_says_nothing_and_the_agent_lingers_until_expiry(
        emulator, listener, routable):
    emulator.control.post("fs1", "configure", tcp_drop_mode="stock-silent")
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")

    assert emulator.control.drop_agent("fs1", "1000") == {"event": "none"}
    time.sleep(1.0)
    assert routable() is True  # honest: nothing told us, exactly like FreeSWITCH (capture 14)

    emulator.control.post("fs1", "expire_agent", user="1000")
    wait_until(lambda: not routable(), what="unroutable once FreeSWITCH expires it")


def test_patched_transport_error_maps_the_address_back_to_the_registration(
        emulator, listener, routable):
    emulator.control.post("fs1", "configure", tcp_drop_mode="patched")
    emulator.control.register_agent("fs1", "1000", transport="tcp", network_port=41000)
    emulator.control.register_agent("fs1", "1001", transport="tcp", network_port=41001)
    wait_until(lambda: routable() and routable("1001@127.0.0.1"), what="both registered")

    assert emulator.control.drop_agent("fs1", "1000") == {"event": "sofia::transport_error"}

    wait_until(lambda: not routable(), what="dropped agent unroutable")
    assert routable("1001@127.0.0.1") is True


def test_new_registration_from_the_same_address_survives_a_late_drop_about_the_old_one(
        emulator, listener, routable, store):
    emulator.control.post("fs1", "configure", tcp_drop_mode="patched")
    # our own subscriber sees the drop event exactly as the listener does
    watcher = ESLConnection.for_node(NodeConfig("fs1", "127.0.0.1", emulator.ports["fs1"],
                                                "ClueCon"))
    watcher.connect()
    watcher.subscribe([], ["sofia::transport_error"])
    try:
        emulator.control.register_agent("fs1", "1000", transport="tcp", network_port=41000,
                                        call_id="old@127.0.0.1")
        wait_until(routable, what="registered")
        emulator.control.drop_agent("fs1", "1000")
        old_drop = watcher.read_event(timeout=5)
        wait_until(lambda: not routable(), what="dropped")
        # the phone comes back on the same ip:port with a new call-id
        emulator.control.register_agent("fs1", "1000", transport="tcp", network_port=41000,
                                        call_id="new@127.0.0.1")
        wait_until(routable, what="re-registered")
    finally:
        watcher.close()

    # a standby listener taking over delivers the OLD drop again, late
    late = normalise(old_drop, TcpDropFormat(), time.time())
    assert isinstance(late, TransportDropped) and late.network_port == "41000"
    assert store.apply("fs1", late, time.time()) == 0

    assert routable() is True
    view = store.snapshot([A], time.time())[A]
    assert [r.call_id for r in view.registrations] == ["new@127.0.0.1"]
