"""History buckets read right when empty; campaign health says why a campaign cannot dial."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from campaigns.models import CallAttempt, CampaignStatus
from campaigns.services.floor.snapshot import compute_health, why_not_dialling
from campaigns.services.reporting.history import history
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_empty_period_is_all_zero_buckets_in_the_campaigns_zone(db):
    campaign = factories.make_campaign(timezone="Asia/Tokyo")
    now = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC)  # 12:30 in Tokyo
    hours = history(now, "hour", campaign)
    assert len(hours["points"]) == 24
    assert hours["points"][-1]["start"] == "2026-12-01T12:00:00+09:00"
    assert all(p[k] == 0 for p in hours["points"] for k in ("attempts", "answers", "contacts",
                                                              "abandons", "talk_seconds"))
    days = history(now, "day", campaign)
    assert [p["start"][:10] for p in days["points"]][-2:] == ["2026-11-30", "2026-12-01"]
    assert len(days["points"]) == 14 and days["dispositions"] == []


def test_buckets_count_attempts_answers_contacts_and_talk_time(db):
    campaign = factories.make_campaign(timezone="UTC")
    now = timezone.now()
    one, two = factories.make_target(campaign), factories.make_target(campaign)
    for target, outcome, billsec in ((one, "answered", 30), (one, "answered", 20),
                                     (two, "busy", 0)):
        factories.make_attempt(target, outcome=outcome, billsec=billsec, ended_at=now)
    data = history(now, "hour", campaign)
    last = data["points"][-1]
    assert (last["attempts"], last["answers"], last["contacts"], last["talk_seconds"]) == (
        3, 2, 1, 50)
    assert sum(p["attempts"] for p in data["points"]) == 3


def test_history_json_refuses_a_bad_step(client, db):
    client.force_login(factories.make_viewer())
    response = client.get("/dashboard/data/history.json?step=minute")
    assert (response.status_code, response.json()) == (400, {"step": ["hour or day"]})
    assert client.get("/dashboard/data/history.json?campaign=x").status_code == 400
    assert client.get("/dashboard/data/history.json?step=day").status_code == 200


def test_outside_its_window_says_when_the_next_window_opens_in_its_zone(db):
    campaign = factories.make_campaign(timezone="Asia/Tokyo", status=CampaignStatus.RUNNING,
                                       daily_start=dt.time(9), daily_end=dt.time(18),
                                       weekdays=0b1111111)
    at_night = dt.datetime(2026, 12, 1, 20, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert why_not_dialling(campaign, at_night, 3, 3) == {
        "reason": "window",
        "text": "outside its window: next window opens at Wed 02 Dec 09:00 Asia/Tokyo"}
    early = dt.datetime(2026, 12, 2, 7, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert why_not_dialling(campaign, early, 3, 3)["text"] == (
        "outside its window: next window opens at 09:00 Asia/Tokyo")
    noon = early.replace(hour=12)
    assert why_not_dialling(campaign, noon, 0, 0) == {
        "reason": "no_agents", "text": "no agents online in its group"}
    assert why_not_dialling(campaign, noon, 2, 3) is None
    campaign.status = CampaignStatus.PAUSED
    assert why_not_dialling(campaign, noon, 2, 3) == {"reason": "status",
                                                      "text": "Paused: not dialling"}
    campaign.status = CampaignStatus.RUNNING
    campaign.trunk.enabled = False
    assert why_not_dialling(campaign, noon, 2, 3)["reason"] == "trunk"


def test_health_figures(floor):
    campaign = floor["campaign"]
    now = timezone.now()
    one, two, three = (factories.make_target(campaign) for _ in range(3))
    for target, outcome in ((one, "busy"), (one, "answered"), (two, "no_answer")):
        attempt = factories.make_attempt(target, outcome=outcome, ended_at=now)
        target.attempts += 1
        target.save()
        if outcome == "answered":
            CallAttempt.objects.filter(id=attempt.id).update(
                answered_at=now - dt.timedelta(seconds=10),
                bridged_at=now - dt.timedelta(seconds=8.5))
    agents = [{"state": "available"}, {"state": "on_call"}, {"state": "phone_offline"}]
    health = compute_health(campaign, now, agents)
    assert health["answer_rate"] == pytest.approx(1 / 3)
    assert health["contact_rate"] == pytest.approx(1 / 2)
    assert health["answer_to_agent_seconds"] == 1.5
    assert (health["attempts_last_hour"], health["agents_available"]) == (3, 1)
    assert (health["calls_in_flight"], health["dial_level"]) == (0, 0.0)
    assert three.attempts == 0
