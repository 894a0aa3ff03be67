"""Which lifecycle buttons a supervisor sees on a campaign page (admin and dashboard)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services.lifecycle import TRANSITIONS

# The buttons, in page order: the transition and its label.
CONTROLS = (("start", "Start"), ("pause", "Pause"), ("resume", "Resume"), ("cancel", "Cancel"))
DESTRUCTIVE = frozenset({"cancel"})  # confirmation, a required reason, a red button


def campaign_controls(campaign: Campaign, user: Any) -> list[dict[str, str]]:
    """The buttons this user may press on this campaign now ([] for a read-only user)."""
    if not user.has_perm("campaigns.change_campaign"):
        return []
    return [
        {
            "verb": verb,
            "label": label,
            "url": reverse("dashboard:campaign-control", args=[campaign.pk, verb]),
            # Cancel ends the campaign for good: it asks for confirmation and a reason.
            "destructive": verb in DESTRUCTIVE,
            "confirm": f"Cancel {campaign.name}? Nothing more will be dialled; this cannot "
                       "be undone." if verb in DESTRUCTIVE else "",
        }
        for verb, label in CONTROLS
        if campaign.status in TRANSITIONS[verb]
    ]
