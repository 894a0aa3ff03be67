"""Each registration input, sent by the emulator over ESL, through the real listener process."""

import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration
A = "1000@127.0.0.1"


def test_register_then_unregister(emulator, listener, routable):
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered agent routable")

    emulator.control.unregister_agent("fs1", "1000")
    wait_until(lambda: not routable(), what="unregistered agent unroutable")


def test_expire_removes_the_registration(emulator, listener, routable, store):
    emulator.control.register_agent("fs1", "1000", transport="udp")
    wait_until(routable, what="registered")

    emulator.control.post("fs1", "expire_agent", user="1000")

    wait_until(lambda: not routable(), what="expired agent unroutable")
    kinds = [e[b"kind"] for _, e in store.client.xrange(store.changes_key)]
    assert b"expire" in kinds or b"expired" in kinds


def test_unreachable_then_reachable(emulator, listener, routable):
    emulator.control.post("fs1", "configure", unregister_on_options_fail=False)
    emulator.control.register_agent("fs1", "1000", transport="udp")
    wait_until(routable, what="registered")

    emulator.control.post("fs1", "agent_unreachable", user="1000")
    wait_until(lambda: not routable(), what="unreachable agent unroutable")

    emulator.control.post("fs1", "agent_reachable", user="1000")
    wait_until(routable, what="reachable agent routable again")


def test_registration_on_the_second_node_is_recorded_there(emulator, listener, store):
    emulator.control.register_agent("fs2", "1001", transport="tcp")

    view = wait_until(lambda: store.snapshot(["1001@127.0.0.1"], time.time())[
        "1001@127.0.0.1"].registrations, what="registration on fs2")
    assert [r.node for r in view] == ["fs2"]
