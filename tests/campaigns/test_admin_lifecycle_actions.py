"""The campaign changelist actions call the lifecycle services and report illegal moves."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import CampaignStatus
from tests.factories import make_campaign, make_dialable


@pytest.fixture(autouse=True)
def _campaign_can_dial(campaign):
    """Starting a campaign needs an agent and a target (lifecycle refuses one that cannot dial)."""
    make_dialable(campaign)



@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def act(client, action, *campaigns):
    return client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )


def test_start_pause_resume_cancel_move_the_selected_campaigns(admin_client, campaign, superuser):
    for action, expected in [
        ("start_campaigns", CampaignStatus.RUNNING),
        ("pause_campaigns", CampaignStatus.PAUSED),
        ("resume_campaigns", CampaignStatus.RUNNING),
        ("cancel_campaigns", CampaignStatus.CANCELLED),
    ]:
        response = act(admin_client, action, campaign)
        assert response.status_code == 200
        campaign.refresh_from_db()
        assert campaign.status == expected
    events = list(campaign.events.order_by("at", "id").values_list("to_status", "actor"))
    assert events == [
        ("running", superuser.pk),
        ("paused", superuser.pk),
        ("running", superuser.pk),
        ("cancelled", superuser.pk),
    ]


def test_an_illegal_move_shows_a_message_and_legal_ones_still_apply(
    admin_client, campaign, trunk, group
):
    running = make_campaign(trunk, group, name="Running one", status=CampaignStatus.RUNNING)
    response = act(admin_client, "pause_campaigns", campaign, running)
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Spring outreach: Cannot pause a campaign that is draft." in texts
    assert "Paused: Running one" in texts
    campaign.refresh_from_db()
    running.refresh_from_db()
    assert (campaign.status, running.status) == (CampaignStatus.DRAFT, CampaignStatus.PAUSED)


def test_a_viewer_without_permission_cannot_run_actions(client, viewer, campaign):
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    response = act(client, "start_campaigns", campaign)
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
