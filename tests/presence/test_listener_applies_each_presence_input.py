"""Each registration input, sent by the emulator over ESL, through the real listener process."""

import time

import pytest

from tests.presence.processes import wait_until

# django_db: the shared listener reads the test database, so it must exist
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_register_then_unregister(cluster, user):
    agent = f"{user}@127.0.0.1"
    cluster.emulator.control.register_agent("fs1", user, transport="tcp")
    wait_until(lambda: cluster.registered(agent), what="registered")

    cluster.emulator.control.unregister_agent("fs1", user)
    wait_until(lambda: not cluster.registered(agent), what="unregistered")


def test_expire_removes_the_registration(cluster, user):
    agent = f"{user}@127.0.0.1"
    cluster.emulator.control.register_agent("fs1", user, transport="udp")
    wait_until(lambda: cluster.registered(agent), what="registered")

    cluster.emulator.control.post("fs1", "expire_agent", user=user)

    wait_until(lambda: not cluster.registered(agent), what="expired")
    kinds = {(e[b"kind"], e[b"agent"]) for _, e in
             cluster.store.client.xrange(cluster.store.changes_key)}
    assert (b"expire", agent.encode()) in kinds


def test_unreachable_then_reachable(cluster, user):
    agent = f"{user}@127.0.0.1"
    control = cluster.emulator.control
    control.post("fs2", "configure", unregister_on_options_fail=False)
    try:
        control.register_agent("fs2", user, transport="udp")
        wait_until(lambda: cluster.registered(agent), what="registered")

        control.post("fs2", "agent_unreachable", user=user)
        wait_until(lambda: not cluster.registered(agent), what="unreachable")
        view = cluster.store.snapshot([agent], time.time())[agent]
        assert [r.unreachable for r in view.registrations] == [True]

        control.post("fs2", "agent_reachable", user=user)
        wait_until(lambda: cluster.registered(agent), what="reachable again")
    finally:
        control.post("fs2", "configure", unregister_on_options_fail=True)


def test_registration_on_the_second_node_is_recorded_there(cluster, user):
    agent = f"{user}@127.0.0.1"
    cluster.emulator.control.register_agent("fs2", user, transport="tcp", network_port=42042)

    wait_until(lambda: cluster.registered(agent), what="registered on fs2")
    view = cluster.store.snapshot([agent], time.time())[agent]
    assert [(r.node, r.transport, r.network) for r in view.registrations] == [
        ("fs2", "tcp", "127.0.0.1:42042")]
