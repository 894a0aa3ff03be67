from tests.presence.conftest import NOW, online, reachability, registered

AGENT = "1001@127.0.0.1"


def test_unreachable_then_reachable_toggles_routability(store, redis_client):
    online(store, agents=(AGENT,))
    store.apply("fs1", registered(76812, agent=AGENT, call_id="1-19253@127.0.0.1"), NOW)

    assert store.apply("fs1", reachability(76837, False, call_id="1-19253@127.0.0.1"), NOW) == 1
    view = store.snapshot([AGENT], NOW)[AGENT]
    assert (view.registered, view.routable, view.registrations[0].unreachable) == (
        False, False, True)

    assert store.apply("fs1", reachability(76838, True, call_id="1-19253@127.0.0.1"), NOW) == 1
    assert store.snapshot([AGENT], NOW)[AGENT].routable is True
    kinds = [e[b"kind"] for _, e in redis_client.xrange(store.changes_key)]
    assert kinds[-2:] == [b"unreachable", b"reachable"]


def test_unreachable_agent_is_never_reserved(store):
    online(store, agents=(AGENT,))
    store.apply("fs1", registered(1, agent=AGENT, call_id="c"), NOW)
    store.apply("fs1", reachability(2, False, call_id="c"), NOW)

    assert store.reserve("sales", ["fs1"], NOW, 30) is None


def test_a_new_register_clears_unreachable(store):
    online(store, agents=(AGENT,))
    store.apply("fs1", registered(1, agent=AGENT, call_id="c"), NOW)
    store.apply("fs1", reachability(2, False, call_id="c"), NOW)

    store.apply("fs1", registered(3, agent=AGENT, call_id="c"), NOW + 1)

    assert store.snapshot([AGENT], NOW + 1)[AGENT].routable is True
