import pytest

from telephony.presence import UnknownAgent
from tests.presence.conftest import NOW, online, registered

A = "1000@127.0.0.1"


def test_paused_agent_is_not_routable_and_keeps_the_reason_and_actor(store, redis_client):
    online(store)
    store.apply("fs1", registered(1), NOW)

    assert store.set_intent(A, "paused", "lunch", "supervisor:alice", NOW) is True

    view = store.snapshot([A], NOW)[A]
    assert (view.intent, view.reason, view.registered, view.routable) == (
        "paused", "lunch", True, False)
    assert store.reserve("sales", ["fs1"], NOW, 30) is None
    assert redis_client.hget(f"{store.base}:agent:{A}", "intent_by") == b"supervisor:alice"

    assert store.set_intent(A, "available", "", "agent", NOW + 5) is True
    assert store.reserve("sales", ["fs1"], NOW + 5, 30).agent == A


def test_logged_out_agent_is_not_routable(store):
    online(store)
    store.apply("fs1", registered(1), NOW)
    store.set_intent(A, "logged_out", "", "agent", NOW)

    assert store.snapshot([A], NOW)[A].routable is False


def test_intent_of_an_unknown_agent_or_an_unknown_value_is_refused(store):
    online(store)
    with pytest.raises(UnknownAgent):
        store.set_intent("ghost@127.0.0.1", "paused", "", "agent", NOW)
    with pytest.raises(ValueError, match="intent must be one of available, paused, logged_out"):
        store.set_intent(A, "busy", "", "agent", NOW)
