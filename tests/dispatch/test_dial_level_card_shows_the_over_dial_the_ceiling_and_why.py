"""The floor's dial-level card: the campaign's dial mode and ceiling, the tick's last pacer
decision (its real over-dial: level, calls placed, calls in flight) and why the level is what
it is; a campaign that cannot be paced says why it is progressive."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign, CampaignMode
from campaigns.services.call_path import dispatch
from campaigns.services.floor.snapshot import compute_health
from tests.dispatch.pacing_world import history
from tests.dispatch.world import add_targets, running_campaign

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_dial_level_card_shows_the_pacers_over_dial_and_why(
        dispatch_settings, presence_store, django_capture_on_commit_callbacks):
    now = dt.datetime.now(tz=dt.UTC)
    campaign = running_campaign(presence_store, now, agents=10, dial_mode="predictive",
                                abandon_ceiling_pct="2.50")
    Campaign.objects.filter(pk=campaign.pk).update(mode=CampaignMode.AGENT_AT_HELLO)
    campaign.refresh_from_db()
    history(campaign, now, persons=200, failures=400)
    add_targets(campaign, 100)
    with django_capture_on_commit_callbacks(execute=True):
        report = dispatch.tick(now, lambda ids, node: None)
    decision = report.pacing[campaign.id]

    card = compute_health(campaign, now, [])["pacing"]

    assert (card["dial_mode"], card["ceiling_pct"], card["formula"]) == (
        "predictive", 2.5, "us_30d")
    assert card["decision"]["calls"] == decision.calls > 10
    assert card["decision"]["level"] == decision.level > 1.0
    assert card["why"] == decision.reason
    assert "reach a person after" in card["why"] and "ceiling 2.5%" in card["why"]


@pytest.mark.parametrize(("dial_mode", "mode", "why"), [
    ("progressive", CampaignMode.AGENT_AT_HELLO, "progressive: one call per free agent"),
    ("ratio", "target_first", "ratio needs the agent_at_hello connect mode: progressive"),
])
def test_an_unpaced_campaign_says_why_it_is_progressive(dispatch_settings, presence_store,
                                                        dial_mode, mode, why):
    campaign = running_campaign(presence_store, dt.datetime.now(tz=dt.UTC), dial_mode=dial_mode)
    Campaign.objects.filter(pk=campaign.pk).update(mode=mode)
    campaign.refresh_from_db()

    card = compute_health(campaign, dt.datetime.now(tz=dt.UTC), [])["pacing"]

    assert (card["why"], card["decision"]) == (why, None)
