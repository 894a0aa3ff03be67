from tests.presence.conftest import CORE, NOW, online, registered, registration

A, B, C = "1000@127.0.0.1", "1001@127.0.0.1", "1002@127.0.0.1"


def test_reconcile_restores_a_wiped_redis_and_removes_what_the_node_no_longer_lists(
        store, redis_client):
    online(store, agents=(A, B, C))
    store.apply("fs1", registered(1, agent=C, call_id="c"), NOW)
    # Redis lost the events for A and B (wiped, or the listener missed them)
    rows = [registration(agent=A, call_id="a", expires_at=NOW + 100),
            registration(agent=B, call_id="b", port="5071", expires_at=NOW + 100)]

    assert store.reconcile("fs1", CORE, rows, NOW + 1) == (2, 1)

    views = store.snapshot([A, B, C], NOW + 1)
    assert (views[A].routable, views[B].routable, views[C].routable) == (True, True, False)
    assert redis_client.smembers(f"{store.base}:noderegs:fs1") == {b"a", b"b"}


def test_reconcile_never_resurrects_a_row_whose_expiry_is_past(store):
    online(store)
    store.apply("fs1", registered(1, call_id="x"), NOW)
    store.apply("fs1", registered(2, call_id="x"), NOW)
    # right after sofia::expire FreeSWITCH still lists the row with negative time left
    listed = [registration(call_id="x", expires_at=NOW - 21)]

    assert store.reconcile("fs1", CORE, listed, NOW) == (0, 1)

    assert store.snapshot([A], NOW)[A].registrations == ()


def test_reconcile_keeps_the_event_driven_unreachable_flag_of_a_held_row(store):
    from tests.presence.conftest import reachability
    online(store)
    store.apply("fs1", registered(1, call_id="x"), NOW)
    store.apply("fs1", reachability(2, False, call_id="x"), NOW)

    # the listing lags behind the events and still says Reachable
    store.reconcile("fs1", CORE, [registration(call_id="x", expires_at=NOW + 100)], NOW + 1)

    assert store.snapshot([A], NOW + 1)[A].routable is False
