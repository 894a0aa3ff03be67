from tests.presence.conftest import NOW, online, registered

A = "1000@127.0.0.1"


def test_an_expired_lease_returns_the_agent_to_idle(store):
    online(store)
    store.apply("fs1", registered(1), NOW)
    first = store.reserve("sales", ["fs1"], NOW, 30)

    assert store.reserve("sales", ["fs1"], NOW + 29, 30) is None
    second = store.reserve("sales", ["fs1"], NOW + 31, 30)

    assert (first.agent, second.agent) == (A, A)
    assert first.token != second.token
    # the crashed holder's token no longer means anything
    assert store.release(first.token, NOW + 32) is False
    assert store.mark(first.token, "on_call", NOW + 32, 60) is False
    assert store.snapshot([A], NOW + 32)[A].activity == "reserved"


def test_mark_renews_the_lease_so_a_long_call_keeps_its_agent(store):
    online(store)
    store.apply("fs1", registered(1), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)

    assert store.mark(held.token, "ringing", NOW + 5, 30) is True
    assert store.mark(held.token, "on_call", NOW + 20, 3600) is True

    assert store.reserve("sales", ["fs1"], NOW + 100, 30) is None
    view = store.snapshot([A], NOW + 100)[A]
    assert (view.activity, view.activity_until) == ("on_call", NOW + 3620)


def test_release_puts_the_agent_in_wrapup_then_idle(store, redis_client):
    online(store)
    store.sync_agents({"sales": [(A, 7, True)]}, NOW)
    store.apply("fs1", registered(1), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)

    assert store.release(held.token, NOW + 10) is True
    assert store.release(held.token, NOW + 10) is False

    view = store.snapshot([A], NOW + 12)[A]
    assert (view.activity, view.activity_until, view.routable) == ("wrapup", NOW + 17, False)
    assert store.reserve("sales", ["fs1"], NOW + 16, 30) is None
    assert store.reserve("sales", ["fs1"], NOW + 18, 30).agent == A
    details = [e[b"detail"] for _, e in redis_client.xrange(store.changes_key)
               if e[b"kind"] == b"activity"]
    assert details == [b"reserved", b"wrapup", b"reserved"]


def test_user_not_registered_drops_the_agents_registrations_on_that_node_at_once(store):
    online(store)
    online(store, node="fs2")
    store.apply("fs1", registered(1, call_id="a"), NOW)
    store.apply("fs2", registered(1, call_id="b"), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)

    assert store.release_agent_unregistered(held.token, "fs1", NOW + 1) is True

    view = store.snapshot([A], NOW + 1)[A]
    assert [(r.node, r.call_id) for r in view.registrations] == [("fs2", "b")]
    assert view.activity == "idle"
    assert store.reserve("sales", ["fs1"], NOW + 1, 30) is None
    assert store.reserve("sales", ["fs1", "fs2"], NOW + 1, 30).node == "fs2"


def test_user_not_registered_after_the_lease_lapsed_still_drops_the_stale_registration(store):
    online(store)
    store.apply("fs1", registered(1, call_id="a"), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)

    assert store.release_agent_unregistered(held.token, "fs1", NOW + 60) is False

    assert store.snapshot([A], NOW + 60)[A].registrations == ()
