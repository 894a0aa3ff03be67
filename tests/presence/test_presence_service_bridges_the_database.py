import time

import pytest

from campaigns.models import Agent, AgentGroup
from campaigns.services.floor import presence
from telephony.events import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    sales = AgentGroup.objects.create(name="sales")
    alice = Agent.objects.create(name="Alice", sip_user="1000", sip_domain="demo.local",
                                 group=sales, wrapup_seconds=9)
    bob = Agent.objects.create(name="Bob", sip_user="1001", sip_domain="demo.local",
                               group=sales, enabled=False)
    return alice, bob


def test_synced_registered_agent_is_routable_and_disabled_one_is_not(agents):
    alice, bob = agents
    now = time.time()
    assert presence.sync_agents(now) == 2
    store = presence.store()
    store.node_connected("fs1", "core", now)
    store.reconcile("fs1", "core", [
        Registration(agent=a.presence_key, call_id=f"c{a.id}", profile="internal",
                     contact="sip:x", network_ip="127.0.0.1", network_port=str(5000 + a.id),
                     transport="tcp", user_agent="phone", expires_at=now + 300)
        for a in (alice, bob)], now)

    result = presence.agent_presence([alice, bob])

    assert set(result) == {alice.id, bob.id}
    assert (result[alice.id]["routable"], result[alice.id]["groups"],
            result[alice.id]["intent"]) == (True, ["sales"], "available")
    assert (result[bob.id]["enabled"], result[bob.id]["registered"],
            result[bob.id]["routable"]) == (False, True, False)
    assert store.reserve("sales", ["fs1"], now, 30).agent == "1000@demo.local"


def test_set_intent_syncs_a_new_agent_and_records_pause_reason(agents):
    alice, _ = agents

    assert presence.set_intent(alice, "paused", "coffee", "user:sup") is True

    result = presence.agent_presence([alice])[alice.id]
    assert (result["intent"], result["reason"], result["routable"]) == ("paused", "coffee", False)


@pytest.mark.parametrize("intent, reason, message", [
    ("busy", "", "intent must be one of available, paused, logged_out"),
    ("paused", "  ", "a pause needs a reason"),
    ("paused", "x" * 201, "reason is longer than 200 characters"),
])
def test_invalid_intent_is_refused_with_the_reason(agents, intent, reason, message):
    alice, _ = agents
    with pytest.raises(presence.InvalidIntent) as caught:
        presence.set_intent(alice, intent, reason, "user:sup")
    assert str(caught.value) == message
