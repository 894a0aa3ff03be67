"""Which lifecycle buttons a supervisor sees on a campaign page (admin and dashboard)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services.lifecycle import TRANSITIONS

# The buttons, in page order: the transition and its label.
CONTROLS = (("start", "Start"), ("pause", "Pause"), ("resume", "Resume"), ("cancel", "Cancel"))


def campaign_controls(campaign: Campaign, user: Any) -> list[dict[str, str]]:
    """The buttons this user may press on this campaign now ([] for a read-only user)."""
    if not user.has_perm("campaigns.change_campaign"):
        return []
    return [
        {
            "verb": verb,
            "label": label,
            "url": reverse("dashboard:campaign-control", args=[campaign.pk, verb]),
        }
        for verb, label in CONTROLS
        if campaign.status in TRANSITIONS[verb]
    ]
