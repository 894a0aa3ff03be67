from tests.presence.conftest import NOW, online, registered

A, B = "1000@127.0.0.1", "1001@127.0.0.1"


def test_agents_removed_from_the_database_are_disabled_and_leave_their_groups(store, redis_client):
    online(store, agents=(A, B))
    store.apply("fs1", registered(1, agent=B, call_id="b"), NOW)

    store.sync_agents({"sales": [(A, 5, True)]}, NOW + 1)

    view = store.snapshot([B], NOW + 1)[B]
    assert (view.enabled, view.groups, view.routable) == (False, (), False)
    assert redis_client.zrange(f"{store.base}:ready:sales", 0, -1) == [A.encode()]


def test_resync_keeps_intent_and_moves_groups(store):
    online(store, agents=(A,))
    store.apply("fs1", registered(1, agent=A, call_id="a"), NOW)
    store.set_intent(A, "paused", "training", "agent", NOW)

    store.sync_agents({"support": [(A, 5, True)]}, NOW + 1)

    view = store.snapshot([A], NOW + 1)[A]
    assert (view.groups, view.intent, view.reason) == (("support",), "paused", "training")
    store.set_intent(A, "available", "", "agent", NOW + 2)
    assert store.reserve("sales", ["fs1"], NOW + 2, 30) is None
    assert store.reserve("support", ["fs1"], NOW + 2, 30).agent == A
