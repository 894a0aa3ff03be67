"""The node's own registration list repairs Redis, but never brings back an expired row."""

import time

import pytest

from telephony.events import Registered
from tests.presence.conftest import registration
from tests.presence.processes import wait_until

# django_db: the shared listener reads the test database, so it must exist
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def reconciled_at(store, node="fs1"):
    return float(store.client.hget(f"{store.base}:node:{node}", "reconciled_at") or 0)


def test_a_wiped_presence_store_is_rebuilt_by_the_periodic_reconcile(cluster, user):
    one, two = f"{user}@127.0.0.1", f"{int(user) + 50000}@127.0.0.1"
    store = cluster.store
    cluster.emulator.control.register_agent("fs1", user, transport="tcp")
    cluster.emulator.control.register_agent("fs2", two.split("@")[0], transport="udp")
    wait_until(lambda: cluster.registered(one) and cluster.registered(two), what="registered")

    for pattern in ("reg:*", "noderegs:*", "agentregs:*", "addr:*", "expiry"):
        for key in store.client.scan_iter(match=f"{store.base}:{pattern}"):
            store.client.delete(key)
    assert cluster.registered(one) is False

    wait_until(lambda: cluster.registered(one) and cluster.registered(two), what="rebuilt")


def test_a_missed_unregister_is_repaired(cluster, user):
    ghost_agent = f"{user}@127.0.0.1"
    store = cluster.store
    # a row Redis holds but the node does not (an unregister the listener never saw)
    ghost = registration(agent=ghost_agent, call_id=f"ghost-{user}", port="5999",
                         expires_at=time.time() + 600)
    store.apply("fs1", Registered(store.node_status("fs1").core, 10**9, ghost), time.time())
    assert cluster.registered(ghost_agent) is True

    wait_until(lambda: not cluster.registered(ghost_agent), what="ghost removed by reconcile")


def test_a_row_still_listed_after_sofia_expire_is_not_resurrected(cluster, user):
    agent = f"{user}@127.0.0.1"
    control = cluster.emulator.control
    # FreeSWITCH lists an expired row (negative expsecs) for a moment after sofia::expire
    control.post("fs1", "configure", expire_linger=4.0)
    try:
        control.register_agent("fs1", user, transport="tcp")
        wait_until(lambda: cluster.registered(agent), what="registered")

        control.post("fs1", "expire_agent", user=user)
        wait_until(lambda: not cluster.registered(agent), what="expired")
        expired_at = time.time()
        listed = [a for a in control.get("fs1", "agents") if a["user"] == user]
        assert listed and listed[0]["expsecs"] <= 0  # the node still lists it

        seen = False
        while time.time() < expired_at + 2.5:
            seen |= cluster.registered(agent)
            time.sleep(0.05)
    finally:
        control.post("fs1", "configure", expire_linger=2.0)
    assert reconciled_at(cluster.store) > expired_at + 0.5  # reconciles ran in that window
    assert seen is False
