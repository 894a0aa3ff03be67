"""GET /api/campaigns/{id}/stats/ returns the stats service's figures for that campaign only."""

from __future__ import annotations

from campaigns.api.serializers.schemas import CampaignStatsSerializer
from campaigns.services.reporting.stats import campaign_stats
from tests.factories import make_attempt, make_campaign, make_target


def test_stats_count_only_this_campaigns_targets_and_outcomes(as_viewer, campaign):
    answered = make_target(campaign, state="completed")
    busy = make_target(campaign, state="retry_wait")
    make_target(campaign)
    make_attempt(answered, outcome="answered", hangup_cause="NORMAL_CLEARING", billsec=42)
    make_attempt(busy, outcome="busy", hangup_cause="USER_BUSY")
    make_target(make_campaign(), state="completed")  # another campaign's target: not counted

    body = as_viewer.get(f"/api/campaigns/{campaign.pk}/stats/").json()

    assert body == campaign_stats(campaign)
    assert body["targets"]["total"] == 3
    assert body["targets"]["by_state"]["completed"] == 1
    assert (body["answered"], body["answer_rate"], body["billsec"]) == (1, 0.5, 42)
    assert body["hangup_causes"] == [
        {"cause": "NORMAL_CLEARING", "calls": 1},
        {"cause": "USER_BUSY", "calls": 1},
    ]


def test_the_documented_stats_shape_matches_the_service(as_viewer, campaign):
    body = as_viewer.get(f"/api/campaigns/{campaign.pk}/stats/").json()
    documented = CampaignStatsSerializer()

    assert set(body) == set(documented.fields)
    assert set(body["targets"]) == set(documented.fields["targets"].fields)
    assert set(body["attempts"]) == set(documented.fields["attempts"].fields)


def test_stats_of_a_missing_campaign_are_a_404(as_viewer, db):
    assert as_viewer.get("/api/campaigns/424242/stats/").status_code == 404
