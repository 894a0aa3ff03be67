"""The node's own registration list repairs Redis, but never brings back an expired row."""

import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration
FAST = {"PRESENCE_RECONCILE_SECONDS": "0.5"}


def reconciled_at(store, node="fs1"):
    return float(store.client.hget(f"{store.base}:node:{node}", "reconciled_at") or 0)


def test_a_wiped_presence_store_is_rebuilt_by_the_periodic_reconcile(
        emulator, start_listener, routable, store):
    start_listener(env=FAST)
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    emulator.control.register_agent("fs2", "1001", transport="udp")
    wait_until(lambda: routable() and routable("1001@127.0.0.1"), what="registered")

    for pattern in ("reg:*", "noderegs:*", "agentregs:*", "addr:*", "expiry"):
        for key in store.client.scan_iter(match=f"{store.base}:{pattern}"):
            store.client.delete(key)
    assert routable() is False

    wait_until(lambda: routable() and routable("1001@127.0.0.1"), what="rebuilt by reconcile")


def test_a_missed_unregister_is_repaired(emulator, start_listener, routable, store):
    start_listener(env=FAST)
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")
    # a row Redis holds but the node does not (an unregister the listener never saw)
    from tests.presence.conftest import registration
    ghost = registration(agent="1002@127.0.0.1", call_id="ghost", port="5999",
                         expires_at=time.time() + 600)
    from telephony.events import Registered
    store.apply("fs1", Registered(store.node_status("fs1").core, 10**9, ghost), time.time())
    assert routable("1002@127.0.0.1") is True

    wait_until(lambda: not routable("1002@127.0.0.1"), what="ghost removed by reconcile")
    assert routable() is True


def test_a_row_still_listed_after_sofia_expire_is_not_resurrected(
        emulator, start_listener, routable, store):
    start_listener(env=FAST)
    # FreeSWITCH lists an expired row (negative expsecs) for a moment after sofia::expire
    emulator.control.post("fs1", "configure", expire_linger=4.0)
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")

    emulator.control.post("fs1", "expire_agent", user="1000")
    wait_until(lambda: not routable(), what="expired")
    expired_at = time.time()
    listed = [a for a in emulator.control.get("fs1", "agents") if a["user"] == "1000"]
    assert listed and listed[0]["expsecs"] <= 0  # the node still lists it

    seen_routable = False
    while time.time() < expired_at + 2.5:
        seen_routable |= routable()
        time.sleep(0.05)
    assert reconciled_at(store) > expired_at + 0.5  # reconciles did run in that window
    assert seen_routable is False
