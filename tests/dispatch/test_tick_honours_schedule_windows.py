"""The tick dials a campaign only inside its window, judged in its own time zone (not the server's),
including a window that crosses midnight, and in each target's zone when the campaign asks."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import Target, TargetState
from campaigns.services.call_path import dispatch
from tests.dispatch.world import add_targets, running_campaign

# In-process only (no other process reads these rows), so a rolled-back transaction suffices.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
MONDAY = 0b0000001


def at(local: str, zone=LA) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(dt.UTC)


def tick(now: dt.datetime) -> dispatch.TickReport:
    return dispatch.tick(now, lambda ids, node: None)


@pytest.fixture
def server_elsewhere(settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # the server's zone must not matter


@pytest.mark.parametrize(("local", "opens"), [
    ("2026-03-02 21:59:59", False),  # Monday, before the window
    ("2026-03-02 22:00:00", True),  # Monday, the window opens
    ("2026-03-02 23:30:00", True),
    ("2026-03-03 01:30:00", True),  # Tuesday morning: still Monday's window
    ("2026-03-03 02:00:00", False),  # the window closed
    ("2026-03-03 23:30:00", False),  # Tuesday's own window: Tuesday is not a dialling day
    ("2026-03-09 23:30:00", True),  # the Monday after the spring-forward Sunday
])
def test_a_window_crossing_midnight_in_the_campaigns_zone(
        dispatch_settings, presence_store, server_elsewhere, local, opens):
    now = at(local)
    campaign = running_campaign(presence_store, now, timezone="America/Los_Angeles",
                                weekdays=MONDAY, daily_start=dt.time(22, 0),
                                daily_end=dt.time(2, 0))
    add_targets(campaign, 3)

    report = tick(now)

    assert (campaign.id in report.considered) is opens
    assert Target.objects.filter(state=TargetState.QUEUED).count() == (3 if opens else 0)


def test_targets_outside_their_own_zones_window_are_not_claimed(
        dispatch_settings, presence_store, server_elsewhere):
    morning = at("2026-03-04 09:30:00", zoneinfo.ZoneInfo("America/New_York"))
    campaign = running_campaign(presence_store, morning, timezone="America/New_York",
                                daily_start=dt.time(9, 0), daily_end=dt.time(17, 0),
                                use_target_timezone=True)
    east, west, blank = add_targets(campaign, 3)
    Target.objects.filter(id=east).update(timezone="America/New_York")
    Target.objects.filter(id=west).update(timezone="America/Los_Angeles")  # 06:30 there

    report = tick(morning)

    assert report.claimed[campaign.id] == [east, blank]  # blank follows the campaign's zone
    assert Target.objects.get(id=west).state == TargetState.PENDING

    report = tick(morning + dt.timedelta(hours=3))  # 09:30 in Los Angeles

    assert report.claimed[campaign.id] == [west]


def test_a_target_zone_open_while_the_campaigns_own_zone_is_closed_is_dialled(
        dispatch_settings, presence_store, server_elsewhere):
    evening_east = at("2026-03-04 18:00:00", zoneinfo.ZoneInfo("America/New_York"))
    campaign = running_campaign(presence_store, evening_east, timezone="America/New_York",
                                daily_start=dt.time(9, 0), daily_end=dt.time(17, 0),
                                use_target_timezone=True)
    east, west = add_targets(campaign, 2)
    Target.objects.filter(id=west).update(timezone="America/Los_Angeles")  # 15:00 there

    report = tick(evening_east)

    assert report.claimed[campaign.id] == [west]
    assert Target.objects.get(id=east).state == TargetState.PENDING
