"""The floor JSON: agents in words with their call and today; supervisor actions are guarded."""

import json
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from campaigns.services import controls
from campaigns.services.floor.snapshot import live_calls
from tests import factories
from tests.floor.conftest import forget_floor_cache, place_call

pytestmark = pytest.mark.django_db


def _floor(client):
    forget_floor_cache()
    response = client.get("/dashboard/data/floor.json")
    assert response.status_code == 200
    return response.json()


def test_agents_read_as_words_with_their_current_call_and_today(client, floor):
    campaign, (a1, a2, _) = floor["campaign"], floor["agents"]
    client.force_login(factories.make_viewer())
    target = factories.make_target(campaign, number="+14155550142", extension="204")
    done = factories.make_attempt(target, bridged_at=timezone.now(), ended_at=timezone.now(),
                                  billsec=95, outcome="answered", agent=a1)
    live = factories.make_attempt(target, agent=a1)
    place_call(campaign, a1, target, live, started=time.time() - 42)
    floor["store"].set_intent(a2.presence_key, "paused", "lunch", "test", time.time())
    data = _floor(client)
    rows = {row["agent"]: row for row in data["agents"]}
    one, two, three = rows["1001@demo.local"], rows["1002@demo.local"], rows["1003@demo.local"]
    assert (one["state_label"], two["state_label"], three["state_label"]) == (
        "Available", "Paused: lunch", "Phone offline")
    assert (one["group"], one["node"], one["transport"], one["user_agent"]) == (
        "sales", "fs1", "tcp", "Zoiper 5")
    assert (one["calls_today"], one["talk_seconds_today"]) == (1, 95)
    assert one["call"]["number"] == "+14155550142"
    assert one["call"]["extension"] == "204"
    assert one["call"]["campaign"] == "Spring"
    assert 41 <= one["call"]["duration_seconds"] <= 60
    assert two["seconds_in_state"] is not None and two["seconds_in_state"] < 60
    assert data["calls_total"] == 1
    assert [c["uuid"] for c in data["calls"]] == [str(live.uuid)]
    assert data["calls"][0]["state_label"] == "Ringing"
    assert done.id  # the finished call counts today, the live one is the current call


def test_a_supervisor_pauses_an_agent_with_a_reason_and_it_is_audited(floor):
    agent = floor["agents"][0]
    supervisor = factories.make_supervisor()
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    page = client.get("/dashboard/floor/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    url = f"/dashboard/agents/{agent.id}/intent/"
    # Without the CSRF token the action is refused.
    assert client.post(url, {"action": "pause", "reason": "coaching"}).status_code == 403
    response = client.post(url, json.dumps({"action": "pause", "reason": "coaching"}),
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json() == {"agent": "1001@demo.local", "intent": "paused",
                               "reason": "coaching", "changed": True}
    view = floor["store"].snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert (view.intent, view.reason, view.routable) == ("paused", "coaching", False)
    entry = LogEntry.objects.get(object_id=str(agent.id))
    assert (entry.user, entry.change_message) == (supervisor, "pause: coaching")
    # A pause needs a reason; an unknown action names the choices.
    bad = client.post(url, json.dumps({"action": "pause", "reason": " "}),
                      content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert (bad.status_code, bad.json()) == (400, {"reason": ["a pause needs a reason"]})
    bad = client.post(url, json.dumps({"action": "nap"}), content_type="application/json",
                      HTTP_X_CSRFTOKEN=token)
    assert (bad.status_code, bad.json()) == (400, {"action": ["one of pause, resume, logout"]})
    ok = client.post(url, json.dumps({"action": "logout", "reason": "shift over"}),
                     content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.json()["intent"] == "logged_out"
    forget_floor_cache()
    rows = {r["agent"]: r for r in client.get("/dashboard/data/floor.json").json()["agents"]}
    assert rows["1001@demo.local"]["state_label"] == "Logged out"


def test_a_viewer_may_watch_but_not_act(client, floor):
    agent = floor["agents"][0]
    client.force_login(factories.make_viewer())
    response = client.post(f"/dashboard/agents/{agent.id}/intent/", {"action": "pause",
                                                                     "reason": "x"})
    assert response.status_code == 403
    assert "supervisor permission" in response.json()["detail"]
    page = client.get("/dashboard/floor/")
    assert b'data-may-act="0"' in page.content
    assert client.post("/dashboard/calls/00000000-0000-4000-8000-000000000001/hangup/"
                       ).status_code == 403


def test_anonymous_polls_get_401_not_a_login_page(client, floor):
    assert client.get("/dashboard/data/floor.json").status_code == 401
    assert client.post("/dashboard/calls/x/hangup/").status_code == 401


@pytest.mark.parametrize("hostile", [
    "00000000-0000-4000-8000-00000000000G",
    "00000000-0000-4000-8000-000000000001%0Aapi%20shutdown",
    "00000000-0000-4000-8000-000000000001;hupall",
    "ALL",
])
def test_hangup_refuses_anything_but_a_uuid(client, floor, hostile, monkeypatch):
    sent = []
    monkeypatch.setattr(controls, "_hangup", lambda *args: sent.append(args))
    client.force_login(factories.make_supervisor())
    response = client.post(f"/dashboard/calls/{hostile}/hangup/")
    assert response.status_code == 400
    assert response.json() == {
        "uuid": ["uuid must be 36 lowercase hex characters in 8-4-4-4-12 form"]}
    assert sent == []


def test_hangup_queues_uuid_kill_for_the_node_carrying_the_call(client, floor, monkeypatch):
    campaign, agent = floor["campaign"], floor["agents"][0]
    target = factories.make_target(campaign)
    attempt = factories.make_attempt(target, agent=agent)
    place_call(campaign, agent, target, attempt, state="connected")
    sent = []
    monkeypatch.setattr(controls, "_hangup", lambda *args: sent.append(args))
    supervisor = factories.make_supervisor()
    client.force_login(supervisor)
    response = client.post(f"/dashboard/calls/{attempt.uuid}/hangup/")
    assert (response.status_code, response.json()) == (
        202, {"uuid": str(attempt.uuid), "node": "fs1", "queued": True})
    assert sent == [("fs1", str(attempt.uuid), "supervisor")]
    assert LogEntry.objects.get(object_id=str(attempt.id)).change_message == (
        f"hung up call {attempt.uuid} on fs1")
    live_calls().remove(str(attempt.uuid))
    gone = client.post(f"/dashboard/calls/{attempt.uuid}/hangup/")
    assert (gone.status_code, gone.json()) == (404, {"detail": "This call is no longer live."})


def test_the_pages_carry_the_floor_health_and_history(client, floor):
    client.force_login(factories.make_supervisor())
    campaign = floor["campaign"]
    page = client.get(f"/dashboard/campaigns/{campaign.pk}/").content.decode()
    for element in ('id="health-blocked"', 'id="floor-agents"', 'id="floor-calls"',
                    'id="history-talk"', 'data-may-act="1"',
                    f'data-floor-url="/dashboard/data/campaigns/{campaign.pk}/floor.json"'):
        assert element in page
    system = client.get("/dashboard/").content.decode()
    assert 'id="history-attempts"' in system and 'href="/dashboard/floor/"' in system
    data = client.get(f"/dashboard/data/campaigns/{campaign.pk}/floor.json").json()
    assert data["health"]["blocked"] == {"reason": "status", "text": "Draft: not dialling"}
    assert sorted(data["agents_by_state"].items()) == [("available", 2), ("phone_offline", 1)]
