"""A node's agents are routable only while a listener keeps vouching for the node."""

from tests.presence.conftest import NOW, online, registered

A = "1000@127.0.0.1"


def test_agents_of_a_node_nobody_has_vouched_for_lately_are_not_routable(store):
    online(store)
    store.apply("fs1", registered(1), NOW)
    store.node_seen("fs1", NOW, 45)

    assert store.snapshot([A], NOW + 44)[A].routable is True
    assert store.node_status("fs1").trusted(NOW + 44) is True

    assert store.snapshot([A], NOW + 46)[A].routable is False
    assert store.reserve("sales", ["fs1"], NOW + 46, 30) is None
    assert store.node_status("fs1").trusted(NOW + 46) is False

    store.node_seen("fs1", NOW + 50, 45)  # the listener is back
    assert store.reserve("sales", ["fs1"], NOW + 50, 30).agent == A
