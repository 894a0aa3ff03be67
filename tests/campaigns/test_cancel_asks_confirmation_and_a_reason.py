"""Cancel ends a campaign for good: its button asks for confirmation and a required reason and is
styled as destructive, and the server refuses a cancel without a reason. The import is a button
beside Start on the admin page."""

from __future__ import annotations

import re

from django.urls import reverse

from campaigns.models import CampaignEvent, CampaignStatus
from tests.factories import make_dialable


def _form(body: str, verb: str) -> str:
    """The <form> holding the button for `verb`."""
    for form in re.findall(r"<form[^>]*>.*?</form>", body, re.S):
        if f'id="control-{verb}"' in form:
            return form
    raise AssertionError(f"no {verb} button")


def test_the_cancel_button_confirms_requires_a_reason_and_is_red(client, supervisor, campaign):
    client.force_login(supervisor)
    make_dialable(campaign)
    for page in (reverse("dashboard:campaign", args=[campaign.pk]),
                 reverse("admin:campaigns_campaign_change", args=[campaign.pk])):
        body = client.get(page).content.decode()
        cancel, start = _form(body, "cancel"), _form(body, "start")
        assert "window.confirm(" in cancel and "cannot be undone" in cancel
        assert "required" in cancel and "Reason (required)" in cancel
        assert "sb-destructive" in cancel
        assert "window.confirm(" not in start and "sb-destructive" not in start
        assert "Reason (optional)" in start


def test_a_cancel_without_a_reason_changes_nothing(client, supervisor, campaign):
    client.force_login(supervisor)
    make_dialable(campaign)
    url = reverse("dashboard:campaign-control", args=[campaign.pk, "cancel"])

    response = client.post(url, {"reason": "   "}, follow=True)

    campaign.refresh_from_db()
    assert campaign.status != CampaignStatus.CANCELLED
    assert not CampaignEvent.objects.filter(campaign=campaign, action="cancel").exists()
    assert "the reason is required" in response.content.decode()


def test_the_import_is_a_button_beside_start(client, supervisor, campaign):
    client.force_login(supervisor)
    make_dialable(campaign)
    body = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content
    controls = re.search(rb'<section class="sb-controls".*?</section>', body, re.S).group(0)
    assert b'id="control-start"' in controls
    assert reverse("admin:campaigns_campaign_import", args=[campaign.pk]).encode() in controls


def test_recycle_leads_is_not_listed_under_export(client, supervisor, campaign):
    client.force_login(supervisor)
    body = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content
    exports = re.search(rb'<p id="campaign-exports">.*?</p>', body, re.S).group(0)
    assert b"Recycle" not in exports
    assert b'id="recycle-link"' in body
