"""The tick's over-dial seam: a predictive or fixed-ratio campaign in the late-binding connect
mode (`agent_at_hello`) places more calls than free agents, as its pacer decides, and the
decision is published for the floor's dial-level card; a progressive one places one per agent."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import CampaignMode
from campaigns.services.call_path import dispatch, dispatch_pacing
from tests.dispatch.pacing_world import history
from tests.dispatch.world import add_targets, running_campaign

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

AGENTS = 10


@pytest.fixture
def now():
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def tick(now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return dispatch.tick(now, lambda ids, node: None)


@pytest.mark.parametrize(("dial_mode", "ratio"), [("predictive", "1.00"), ("ratio", "2.50")])
def test_a_paced_campaign_places_more_calls_than_free_agents(
        dispatch_settings, presence_store, django_capture_on_commit_callbacks, now, dial_mode,
        ratio):
    campaign = running_campaign(presence_store, now, agents=AGENTS, dial_mode=dial_mode,
                                dial_ratio=ratio)
    campaign.__class__.objects.filter(pk=campaign.pk).update(mode=CampaignMode.AGENT_AT_HELLO)
    history(campaign, now)
    add_targets(campaign, 100)

    report = tick(now, django_capture_on_commit_callbacks)

    decision = report.pacing[campaign.id]
    claimed = report.claimed[campaign.id]
    assert len(claimed) == decision.calls
    if dial_mode == "ratio":
        assert decision.calls == 25  # 2.5 x 10 free agents, none in flight
    assert decision.calls > AGENTS, decision.reason
    card = dispatch_pacing.last_decision(campaign.id)
    assert card is not None
    assert (card["dial_mode"], card["calls"], card["ceiling_pct"], card["formula"]) == (
        dial_mode, decision.calls, 3.0, "us_30d")
    assert card["level"] > 1.0 and card["reason"] == decision.reason


def test_a_progressive_campaign_places_one_call_per_free_agent(
        dispatch_settings, presence_store, django_capture_on_commit_callbacks, now):
    campaign = running_campaign(presence_store, now, agents=AGENTS)
    campaign.__class__.objects.filter(pk=campaign.pk).update(mode=CampaignMode.AGENT_AT_HELLO)
    history(campaign, now)
    add_targets(campaign, 100)

    report = tick(now, django_capture_on_commit_callbacks)

    assert campaign.id not in report.pacing
    assert len(report.claimed[campaign.id]) == AGENTS


def test_a_predictive_campaign_without_late_binding_stays_progressive(
        dispatch_settings, presence_store, django_capture_on_commit_callbacks, now):
    # A row written around the validation (say, before the connect mode changed) never over-dials
    # a mode that reserves an agent per call.
    campaign = running_campaign(presence_store, now, agents=AGENTS, dial_mode="predictive")
    history(campaign, now)
    add_targets(campaign, 100)

    report = tick(now, django_capture_on_commit_callbacks)

    assert campaign.id not in report.pacing
    assert len(report.claimed[campaign.id]) == AGENTS
