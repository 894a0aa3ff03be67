"""The admin index leads with the live campaigns and the dashboard link; the audit inline reads
as sentences and stored slugs show as labels."""

from __future__ import annotations

from django.urls import reverse

from campaigns.models import CampaignStatus, Outcome
from campaigns.services import lifecycle
from tests.factories import make_campaign, make_dialable, make_target


def test_the_index_lists_live_campaigns_first_with_the_dashboard_link(client, superuser, campaign):
    running = make_campaign(name="Evening calls", status=CampaignStatus.RUNNING)
    make_campaign(name="Old one", status=CampaignStatus.COMPLETED)
    client.force_login(superuser)

    body = client.get(reverse("admin:index")).content.decode()

    live = body.index('id="live-campaigns"')
    assert live < body.rindex("Authentication and Authorization")  # before the app list
    assert f'href="{reverse("dashboard:system")}"' in body[live:]
    assert f'href="{reverse("dashboard:campaign", args=[running.pk])}">Evening calls</a>' in body
    assert "Old one" not in body[live:body.index("</section>", live)]


def test_the_audit_inline_and_progress_read_as_words(client, superuser, campaign):
    make_dialable(campaign)
    make_target(campaign, state="retry_wait")
    lifecycle.start(campaign, actor=superuser, reason="go")
    client.force_login(superuser)

    body = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content
    text = body.decode()

    assert "CampaignEvent object" not in text
    assert "Start (Draft to Running) by admin: go" in text
    assert "Waiting to retry" in text and ">retry_wait<" not in text


def test_the_target_list_shows_outcome_labels(client, superuser, campaign):
    make_target(campaign, state="failed", last_outcome=Outcome.NO_ANSWER)
    client.force_login(superuser)

    body = client.get(reverse("admin:campaigns_target_changelist")).content.decode()

    assert "No answer" in body and ">no_answer<" not in body
