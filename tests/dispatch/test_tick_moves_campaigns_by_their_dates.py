"""The tick starts scheduled campaigns whose start arrived and completes those past their end."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign, CampaignEvent, CampaignStatus, Target, TargetState
from campaigns.services.call_path import dispatch
from tests.dispatch.world import add_targets, running_campaign

# In-process only (no other process reads these rows), so a rolled-back transaction suffices.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


def tick(now=NOW) -> dispatch.TickReport:
    return dispatch.tick(now, lambda ids, node: None)


def test_a_scheduled_campaign_starts_and_dials_in_the_tick_its_start_arrives(
        dispatch_settings, presence_store):
    campaign = running_campaign(presence_store, NOW, starts_at=NOW - dt.timedelta(seconds=1))
    Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.SCHEDULED)
    ids = add_targets(campaign, 2)

    report = tick()

    assert report.started == [campaign.id]
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.RUNNING
    assert report.claimed[campaign.id] == ids
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.from_status, event.to_status) == ("scheduled", "running")


def test_a_scheduled_campaign_waits_for_its_start(dispatch_settings, presence_store):
    campaign = running_campaign(presence_store, NOW, starts_at=NOW + dt.timedelta(minutes=5))
    Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.SCHEDULED)
    add_targets(campaign, 2)

    report = tick()

    assert report.started == [] and report.claimed == {}
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.SCHEDULED


def test_a_running_campaign_past_its_end_completes_and_its_waiting_targets_stop(
        dispatch_settings, presence_store):
    campaign = running_campaign(presence_store, NOW, ends_at=NOW)
    ids = add_targets(campaign, 3)
    Target.objects.filter(id=ids[0]).update(state=TargetState.DIALING)

    report = tick()

    assert report.completed == [campaign.id]
    assert report.claimed == {}
    assert Campaign.objects.get(id=campaign.id).status == CampaignStatus.COMPLETED
    assert dict(Target.objects.values_list("id", "state")) == {
        ids[0]: TargetState.DIALING,  # a call in progress finishes normally
        ids[1]: TargetState.CANCELLED,
        ids[2]: TargetState.CANCELLED,
    }


def test_paused_campaigns_are_not_dialled(dispatch_settings, presence_store):
    campaign = running_campaign(presence_store, NOW)
    Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.PAUSED)
    add_targets(campaign, 2)

    report = tick()

    assert report.considered == [] and report.claimed == {}
