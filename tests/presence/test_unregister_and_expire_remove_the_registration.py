import pytest

from tests.presence.conftest import NOW, online, registered, unregistered

AGENT = "1000@127.0.0.1"


@pytest.mark.parametrize("kind", ["unregister", "expire", "socket_disconnect"])
def test_removal_event_for_the_call_id_makes_agent_unroutable(store, redis_client, kind):
    online(store)
    store.apply("fs1", registered(450), NOW)

    assert store.apply("fs1", unregistered(454, kind=kind), NOW + 2) == 1

    view = store.snapshot([AGENT], NOW + 2)[AGENT]
    assert (view.registered, view.routable, view.registrations) == (False, False, ())
    last = redis_client.xrevrange(store.changes_key, count=1)[0][1]
    assert (last[b"kind"], last[b"agent"]) == (kind.encode(), AGENT.encode())
    # every index entry is gone too
    assert redis_client.smembers(f"{store.base}:agentregs:{AGENT}") == set()
    assert redis_client.smembers(f"{store.base}:addr:fs1:127.0.0.1:5070") == set()
    assert redis_client.zcard(f"{store.base}:expiry") == 0


def test_removal_of_another_call_id_leaves_the_registration(store):
    online(store)
    store.apply("fs1", registered(450), NOW)

    assert store.apply("fs1", unregistered(454, call_id="other@127.0.0.1"), NOW + 2) == 0

    assert store.snapshot([AGENT], NOW + 2)[AGENT].routable is True


def test_unregister_older_than_a_reregistration_on_the_same_call_id_is_ignored(store):
    online(store)
    store.apply("fs1", registered(460), NOW)

    assert store.apply("fs1", unregistered(455), NOW + 1) == 0

    assert store.snapshot([AGENT], NOW + 1)[AGENT].routable is True
