"""Start, pause, resume and cancel are buttons on the admin change page and the dashboard, each
with an optional reason that lands in the audit trail; a CSRF-checked, permission-checked POST."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import CampaignEvent, CampaignStatus
from tests.factories import make_dialable, make_viewer


def _control(campaign, verb):
    return reverse("dashboard:campaign-control", args=[campaign.pk, verb])


@pytest.fixture
def ready(campaign):
    return make_dialable(campaign)


def test_each_page_shows_only_the_buttons_the_status_allows(client, supervisor, ready):
    client.force_login(supervisor)
    pages = [
        reverse("dashboard:campaign", args=[ready.pk]),
        reverse("admin:campaigns_campaign_change", args=[ready.pk]),
    ]
    for page in pages:
        body = client.get(page).content.decode()
        assert 'id="control-start"' in body and 'id="control-cancel"' in body
        assert 'id="control-pause"' not in body and 'id="control-resume"' not in body
        assert f'action="{_control(ready, "start")}"' in body
        assert 'name="reason"' in body


def test_a_button_moves_the_campaign_and_records_the_reason(client, supervisor, ready):
    client.force_login(supervisor)
    page = reverse("admin:campaigns_campaign_change", args=[ready.pk])

    response = client.post(_control(ready, "start"), {"reason": "  list is ready ", "next": page})
    assert (response.status_code, response["Location"]) == (302, page)
    client.post(_control(ready, "pause"), {"reason": ""})
    client.post(_control(ready, "resume"), {})
    client.post(_control(ready, "cancel"), {"reason": "client withdrew"})

    ready.refresh_from_db()
    assert ready.status == CampaignStatus.CANCELLED
    events = CampaignEvent.objects.filter(campaign=ready).order_by("id")
    assert [(e.action, e.to_status, e.actor, e.reason) for e in events] == [
        ("start", "running", supervisor, "list is ready"),
        ("pause", "paused", supervisor, ""),
        ("resume", "running", supervisor, ""),
        ("cancel", "cancelled", supervisor, "client withdrew"),
    ]
    # The audit inline reads as sentences, not "CampaignEvent object (1)".
    assert str(events[3]) == "Cancel (Running to Cancelled) by supervisor: client withdrew"


def test_an_illegal_press_is_a_message_not_a_change(client, supervisor, ready):
    client.force_login(supervisor)
    response = client.post(_control(ready, "resume"), {}, follow=True)
    assert "Cannot resume a campaign that is draft." in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == CampaignStatus.DRAFT


def test_a_viewer_sees_no_button_and_may_not_press_one(client, ready):
    client.force_login(make_viewer())
    body = client.get(reverse("dashboard:campaign", args=[ready.pk])).content.decode()
    assert 'id="control-start"' not in body
    assert client.post(_control(ready, "start"), {}).status_code == 403
    ready.refresh_from_db()
    assert ready.status == CampaignStatus.DRAFT


def test_a_post_without_the_csrf_token_is_refused(supervisor, ready):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor)
    assert strict.post(_control(ready, "start"), {}).status_code == 403
    assert strict.get(_control(ready, "start")).status_code == 405  # never a GET
    ready.refresh_from_db()
    assert ready.status == CampaignStatus.DRAFT


def test_an_offsite_next_is_ignored(client, supervisor, ready):
    client.force_login(supervisor)
    response = client.post(_control(ready, "start"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("dashboard:campaign", args=[ready.pk])
