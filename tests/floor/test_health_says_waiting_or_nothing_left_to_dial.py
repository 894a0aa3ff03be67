"""A running campaign with no call in flight says why: "waiting: next retry at HH:MM" or "nothing
left to dial", never "dialling"; Start in the admin says at once why it will not dial now; the
campaign page shows one abandon rate with its formula and one answer-to-agent figure."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.urls import reverse

from campaigns.models import CampaignStatus, TargetState
from campaigns.services.floor.snapshot import why_not_dialling
from tests import factories

NOON = dt.datetime(2026, 12, 2, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


def running(db_campaign_zone: str = "Europe/Paris"):
    return factories.make_campaign(timezone=db_campaign_zone, status=CampaignStatus.RUNNING,
                                   daily_start=dt.time(0), daily_end=dt.time(23, 59),
                                   weekdays=0b1111111)


def test_nothing_left_to_dial(db):
    campaign = running()
    factories.make_target(campaign, state=TargetState.COMPLETED)
    assert why_not_dialling(campaign, NOON, 2, 3, in_flight=0) == {
        "reason": "nothing_left", "text": "nothing left to dial"}


def test_waiting_for_the_next_retry_in_the_campaigns_zone(db):
    campaign = running()
    factories.make_target(campaign, state=TargetState.RETRY_WAIT,
                          next_attempt_at=NOON + dt.timedelta(minutes=42))
    factories.make_target(campaign, state=TargetState.RETRY_WAIT,
                          next_attempt_at=NOON + dt.timedelta(hours=2))
    assert why_not_dialling(campaign, NOON, 2, 3, in_flight=0) == {
        "reason": "waiting", "text": "waiting: next retry at 12:42 Europe/Paris"}


def test_a_due_target_or_a_live_call_is_dialling(db):
    campaign = running()
    factories.make_target(campaign, state=TargetState.RETRY_WAIT,
                          next_attempt_at=NOON + dt.timedelta(minutes=42))
    assert why_not_dialling(campaign, NOON, 2, 3, in_flight=1) is None
    factories.make_target(campaign)  # pending, due now
    assert why_not_dialling(campaign, NOON, 2, 3, in_flight=0) is None


def test_start_says_why_it_will_not_dial_now(client, db, settings):
    supervisor = factories.make_supervisor()
    client.force_login(supervisor)
    campaign = factories.make_dialable(factories.make_campaign(
        timezone="UTC", daily_start=dt.time(0), daily_end=dt.time(23, 59), weekdays=0b1111111))
    response = client.post(reverse("dashboard:campaign-control", args=[campaign.pk, "start"]),
                           {"reason": ""}, follow=True)
    text = response.content.decode()
    # Its one agent has no phone registered in this test: nobody can take a call.
    assert f"{campaign.name} will not dial now: no agents online in its group." in text


def test_the_campaign_page_has_one_abandon_rate_and_one_answer_to_agent_figure(client, db):
    client.force_login(factories.make_supervisor())
    campaign = running()
    body = client.get(reverse("dashboard:campaign", args=[campaign.pk])).content.decode()
    assert body.count("Abandon rate") == 1
    assert "abandoned ÷ answered by a person" in body
    assert body.count("Answer to agent") == 1
    assert "Over-dial: live calls per available agent" in body


def test_the_admin_progress_never_says_none(client, db):
    client.force_login(factories.make_superuser())
    campaign = running()
    body = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    text = body.content.decode()
    assert "None / None" not in text
    assert "no call connected to an agent yet" in text
    assert "abandon rate = abandoned ÷ answered" in text
