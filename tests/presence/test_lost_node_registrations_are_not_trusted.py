from tests.presence.conftest import CORE, NOW, online, registered

AGENT = "1000@127.0.0.1"


def test_agent_on_a_lost_node_is_unroutable_until_the_node_is_reconciled_again(store):
    online(store)
    store.apply("fs1", registered(1), NOW)

    assert store.node_lost("fs1", NOW + 50, "silent past grace") is True
    assert store.node_lost("fs1", NOW + 51, "silent past grace") is False
    assert store.snapshot([AGENT], NOW + 51)[AGENT].routable is False
    assert store.reserve("sales", ["fs1"], NOW + 51, 30) is None
    status = store.node_status("fs1")
    assert (status.state, status.up, status.connected, status.lost_reason) == (
        "lost", False, False, "silent past grace")

    # back with the same Core-UUID: still untrusted until its list has been read
    assert store.node_connected("fs1", CORE, NOW + 60) is False
    assert store.node_status("fs1").state == "syncing"
    assert store.snapshot([AGENT], NOW + 60)[AGENT].routable is False

    store.reconcile("fs1", CORE, [store_row()], NOW + 60)
    assert store.snapshot([AGENT], NOW + 60)[AGENT].routable is True


def store_row():
    from tests.presence.conftest import registration
    return registration(expires_at=NOW + 200)


def test_agent_registered_on_two_nodes_stays_routable_through_the_live_one(store):
    online(store)
    online(store, node="fs2")
    store.apply("fs1", registered(1, call_id="a"), NOW)
    store.apply("fs2", registered(1, call_id="b"), NOW)

    store.node_lost("fs1", NOW + 50, "connection down")

    reservation = store.reserve("sales", ["fs1", "fs2"], NOW + 50, 30)
    assert (reservation.agent, reservation.node) == (AGENT, "fs2")
