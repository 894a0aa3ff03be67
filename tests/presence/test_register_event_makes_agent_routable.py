from tests.presence.conftest import NOW, online, registered

AGENT = "1000@127.0.0.1"


def test_registered_available_idle_agent_is_routable_and_change_is_published(store, redis_client):
    online(store)
    assert store.snapshot([AGENT], NOW)[AGENT].routable is False

    assert store.apply("fs1", registered(450), NOW) == 1

    view = store.snapshot([AGENT], NOW + 1)[AGENT]
    assert view.routable is True
    assert [(r.node, r.call_id, r.transport, r.network) for r in view.registrations] == [
        ("fs1", "1-32631@127.0.0.1", "tcp", "127.0.0.1:5070")
    ]
    kinds = [(e[b"kind"], e[b"agent"]) for _, e in redis_client.xrange(store.changes_key)]
    assert (b"register", AGENT.encode()) in kinds


def test_a_refresh_of_a_healthy_registration_is_not_published_again(store, redis_client):
    online(store)
    store.apply("fs1", registered(450), NOW)
    before = redis_client.xlen(store.changes_key)

    assert store.apply("fs1", registered(460, expires_at=NOW + 240), NOW + 60) == 1

    assert redis_client.xlen(store.changes_key) == before
    view = store.snapshot([AGENT], NOW + 200)[AGENT]
    assert view.registrations[0].expires_at == NOW + 240


def test_unknown_agent_is_offline(store):
    online(store)
    view = store.snapshot(["nobody@127.0.0.1"], NOW)["nobody@127.0.0.1"]
    assert (view.known, view.registered, view.routable, view.intent) == (
        False, False, False, "logged_out")
