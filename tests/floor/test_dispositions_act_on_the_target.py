"""Dispositions through the API: final, retry, do not call, call back in the target's zone."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from campaigns.models import Callback, CallbackState, DoNotCall, Target, TargetState
from campaigns.services.floor.dispositions import add_default_dispositions, callback_agents
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    campaign = factories.make_campaign(timezone="America/New_York")
    add_default_dispositions(campaign)
    agent = factories.make_agent(campaign.agent_group)
    target = factories.make_target(campaign, number="+81312345678", timezone="Asia/Tokyo",
                                   state=TargetState.COMPLETED)
    attempt = factories.make_attempt(target, agent=agent, answered_at=timezone.now(),
                                     bridged_at=timezone.now(), ended_at=timezone.now(),
                                     outcome="answered")
    return campaign, agent, target, attempt


def _post(client, attempt, **body):
    return client.post(f"/api/attempts/{attempt.id}/disposition/", body,
                       content_type="application/json")


def test_call_back_tomorrow_ten_is_due_at_ten_in_the_targets_zone(client, world):
    campaign, agent, target, attempt = world
    client.force_login(factories.make_supervisor())
    tomorrow = (timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")) + dt.timedelta(days=1)
                ).date()
    response = _post(client, attempt, disposition="call_back", notes="wants the manager",
                     callback_at=f"{tomorrow}T10:00")
    assert response.status_code == 200, response.content
    assert (response.json()["disposition_code"], response.json()["disposition_notes"]) == (
        "call_back", "wants the manager")
    callback = Callback.objects.get()
    due = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert (callback.due_at, callback.timezone, callback.agent, callback.state) == (
        due, "Asia/Tokyo", agent, CallbackState.SCHEDULED)
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at, target.last_outcome) == (
        TargetState.RETRY_WAIT, due, "call_back")
    # When it is due, the dialer asks for that agent and the callback is handed over once.
    assert callback_agents([target.id], due - dt.timedelta(seconds=1)) == {}
    assert callback_agents([target.id], due) == {target.id: agent.presence_key}
    assert callback_agents([target.id], due) == {}
    assert Callback.objects.get().state == CallbackState.DIALLED


def test_a_call_back_to_the_group_names_no_agent(client, world):
    _, _, target, attempt = world
    client.force_login(factories.make_supervisor())
    later = (timezone.now() + dt.timedelta(days=2)).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    response = _post(client, attempt, disposition="call_back", same_agent=False,
                     callback_at=later.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 200
    assert Callback.objects.get().agent is None
    assert callback_agents([target.id], later + dt.timedelta(minutes=1)) == {}


def test_do_not_call_adds_the_number_and_stops_the_target(client, world):
    _, _, target, attempt = world
    client.force_login(factories.make_supervisor())
    assert _post(client, attempt, disposition="do_not_call").status_code == 200
    assert DoNotCall.objects.filter(number="+81312345678").exists()
    assert Target.objects.get(id=target.id).state == TargetState.DO_NOT_CALL


def test_retry_dials_the_target_again_after_the_dispositions_delay(client, world):
    _, _, target, attempt = world
    client.force_login(factories.make_supervisor())
    before = timezone.now()
    assert _post(client, attempt, disposition="wrong_person").status_code == 200
    target.refresh_from_db()
    assert target.state == TargetState.RETRY_WAIT
    assert before + dt.timedelta(seconds=3590) < target.next_attempt_at
    assert target.next_attempt_at < before + dt.timedelta(seconds=3700)


@pytest.mark.parametrize(("body", "errors"), [
    ({"disposition": "nope"}, {"disposition": ["not a disposition of this campaign"]}),
    ({"disposition": "call_back"}, {"callback_at": ["a call back needs a time"]}),
    ({"disposition": "call_back", "callback_at": "tomorrow"},
     {"callback_at": ["a date and time as YYYY-MM-DDTHH:MM, e.g. 2026-12-02T10:00"]}),
    ({"disposition": "call_back", "callback_at": "2001-01-01T10:00"},
     {"callback_at": ["the call-back time is in the past"]}),
    ({}, {"disposition": ["This field is required."]}),
])
def test_bad_dispositions_get_field_errors(client, world, body, errors):
    _, _, target, attempt = world
    client.force_login(factories.make_supervisor())
    response = _post(client, attempt, **body)
    assert (response.status_code, response.json()) == (400, errors)
    assert Target.objects.get(id=target.id).state == TargetState.COMPLETED
    assert not Callback.objects.exists()


def test_an_unanswered_call_has_no_conversation_to_dispose(client, world):
    _, _, target, _ = world
    missed = factories.make_attempt(target, outcome="no_answer", ended_at=timezone.now())
    client.force_login(factories.make_supervisor())
    response = _post(client, missed, disposition="sale")
    assert (response.status_code, response.json()) == (400, {"disposition": [
        "the call was not answered: there is no conversation to dispose"]})


def test_the_calls_own_agent_may_dispose_it_a_stranger_may_not(client, world):
    _, agent, _, attempt = world
    user = factories.make_viewer("agent-user")
    agent.user = user
    agent.save()
    client.force_login(user)
    assert _post(client, attempt, disposition="sale").status_code == 200
    client.force_login(factories.make_viewer("stranger"))
    assert _post(client, attempt, disposition="sale").status_code == 403


def test_dispositions_show_in_the_attempt_list_and_filter_it(client, world):
    campaign, _, _, attempt = world
    client.force_login(factories.make_supervisor())
    _post(client, attempt, disposition="sale")
    sale = campaign.dispositions.get(code="sale")
    rows = client.get(f"/api/attempts/?disposition={sale.id}").json()["results"]
    assert [(r["id"], r["disposition_code"]) for r in rows] == [(attempt.id, "sale")]
    assert client.get(f"/api/dispositions/?campaign={campaign.id}").json()["count"] == 5


def test_a_call_back_reopens_a_campaign_that_completed_with_that_call(client, world):
    campaign, _, target, attempt = world
    campaign.status = "completed"
    campaign.save()
    client.force_login(factories.make_supervisor())
    later = (timezone.now() + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert _post(client, attempt, disposition="call_back",
                 callback_at=later.strftime("%Y-%m-%dT%H:%M")).status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == "running"
    event = campaign.events.get()
    assert (event.from_status, event.to_status, event.reason) == (
        "completed", "running", f"disposition call_back on attempt {attempt.id}")
