from tests.presence.conftest import NOW, online, registered

AGENT = "1000@127.0.0.1"


def test_registration_past_its_expiry_is_not_routable_and_the_sweep_removes_it(store, redis_client):
    online(store)
    store.apply("fs1", registered(1, expires_at=NOW + 90), NOW)

    assert store.snapshot([AGENT], NOW + 89)[AGENT].routable is True
    assert store.snapshot([AGENT], NOW + 91)[AGENT].routable is False
    assert store.reserve("sales", ["fs1"], NOW + 91, 30) is None

    assert store.sweep_expired(NOW + 91) == 1
    assert store.snapshot([AGENT], NOW + 91)[AGENT].registrations == ()
    last = redis_client.xrevrange(store.changes_key, count=1)[0][1]
    assert last[b"kind"] == b"expired"
