"""An agent pauses for one of its group's pause codes (a list per group, not free text): the agent
page offers them as a list and refuses anything else; a supervisor may still give any reason."""

from __future__ import annotations

import time

import pytest

from campaigns.models import AgentGroup
from campaigns.services.floor import presence
from tests.factories import make_agent, make_viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    group = AgentGroup.objects.create(name="sales", pause_codes="Lunch\n\nTraining\nlunch\n")
    made = make_agent(group, user=make_viewer("agent-login"))
    presence.sync_agents()
    return made


def test_the_group_lists_its_codes_once_in_order(agent):
    assert agent.group.pause_code_list() == ["Lunch", "Training"]
    assert AgentGroup(name="x").pause_code_list() == [
        "Break", "Lunch", "Training", "Meeting", "Comfort break"]


def test_the_agent_page_offers_the_codes_and_refuses_others(client, agent):
    client.force_login(agent.user)
    page = client.get("/agent/").content.decode()
    assert '<option value="Lunch">Lunch</option><option value="Training">Training</option>' in page
    refused = client.post("/agent/intent/", {"action": "pause", "reason": "nap"},
                          content_type="application/json")
    assert (refused.status_code, refused.json()) == (
        400, {"reason": ["choose one of this group's pause codes: Lunch, Training"]})
    taken = client.post("/agent/intent/", {"action": "pause", "reason": "training"},
                        content_type="application/json")
    assert (taken.status_code, taken.json()) == (200, {"intent": "paused"})
    now = time.time()
    assert presence.store().snapshot([agent.presence_key], now)[agent.presence_key].reason == (
        "Training")


def test_a_supervisor_may_give_any_reason(agent):
    assert presence.set_intent(agent, "paused", "coaching", "user:sup") is True
