"""Agents carry their live presence from the store; a supervisor sets an agent's intent."""

from __future__ import annotations

import pytest

from campaigns.api.serializers.schemas import PresenceSerializer
from campaigns.services.floor import presence


@pytest.fixture
def presence_prefix(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    return key_prefix


def test_an_agent_unknown_to_the_store_is_shown_offline(as_viewer, agent, presence_prefix):
    row = as_viewer.get(f"/api/agents/{agent.pk}/").json()

    assert row["presence"]["agent"] == "1001@pbx.example.com"
    assert (row["presence"]["registered"], row["presence"]["routable"]) == (False, False)
    assert set(row["presence"]) == set(PresenceSerializer().fields)  # the schema tells the truth


def test_a_paused_agent_shows_its_intent_and_reason_in_the_list(as_viewer, agent, presence_prefix):
    presence.sync_agents()
    presence.set_intent(agent, "paused", "lunch", actor="test")

    rows = as_viewer.get("/api/agents/").json()["results"]

    assert [(r["id"], r["presence"]["intent"], r["presence"]["reason"]) for r in rows] == [
        (agent.pk, "paused", "lunch")
    ]


def test_a_supervisor_sets_an_agents_intent(as_supervisor, agent, presence_prefix):
    presence.sync_agents()

    response = as_supervisor.post(
        f"/api/agents/{agent.pk}/intent/", {"intent": "logged_out"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["presence"]["intent"] == "logged_out"
    assert presence.agent_presence([agent])[agent.pk]["intent"] == "logged_out"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"intent": "paused"}, {"reason": ["A pause needs a reason."]}),
        ({"intent": "asleep"}, {"intent": ['"asleep" is not a valid choice.']}),
        ({}, {"intent": ["This field is required."]}),
    ],
)
def test_a_bad_intent_is_a_400(as_supervisor, agent, presence_prefix, body, errors):
    response = as_supervisor.post(f"/api/agents/{agent.pk}/intent/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)


def test_a_viewer_may_not_set_an_intent(as_viewer, agent, presence_prefix):
    response = as_viewer.post(
        f"/api/agents/{agent.pk}/intent/", {"intent": "available"}, format="json"
    )

    assert response.status_code == 403


def test_agents_are_listed_with_null_presence_when_redis_is_down(as_viewer, agent, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = as_viewer.get("/api/agents/")

    assert response.status_code == 200
    assert [(r["id"], r["presence"]) for r in response.json()["results"]] == [(agent.pk, None)]
