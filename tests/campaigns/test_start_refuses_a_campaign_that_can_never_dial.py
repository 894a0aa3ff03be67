"""A campaign that could never place a call does not start: the service, the API and the admin
all say why (no weekday, a window that never opens, an end before its start, no agent, no target).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.errors import CampaignCannotDial
from campaigns.models import Agent, CampaignEvent, CampaignStatus, Target
from campaigns.services import lifecycle
from tests.factories import make_dialable

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
PREFIX = "Cannot start this campaign: it could never place a call"


def _no_weekday(campaign):
    campaign.weekdays = 0


def _end_before_start(campaign):
    campaign.starts_at = NOW + dt.timedelta(days=2)
    campaign.ends_at = NOW + dt.timedelta(days=1)


def _window_never_opens(campaign):
    # Weekdays only, and the campaign runs from Saturday to Sunday night.
    campaign.starts_at = NOW + dt.timedelta(days=5)
    campaign.ends_at = NOW + dt.timedelta(days=6, hours=10)


def _no_agent(campaign):
    Agent.objects.filter(group=campaign.agent_group).update(enabled=False)


def _no_target(campaign):
    Target.objects.filter(campaign=campaign).delete()


CASES = [
    (_no_weekday, "no weekday is ticked, so the daily window never opens"),
    (_end_before_start, "its end date is not after its start date"),
    (_window_never_opens, "its daily window never opens before its end date"),
    (_no_agent, "its agent group has no enabled agent"),
    (_no_target, "it has no target waiting to be dialled"),
]


@pytest.fixture
def ready(campaign):
    return make_dialable(campaign)


@pytest.mark.parametrize(("spoil", "reason"), CASES)
def test_the_service_refuses_with_the_reason_and_changes_nothing(ready, spoil, reason):
    spoil(ready)
    ready.save()

    with pytest.raises(CampaignCannotDial) as caught:
        lifecycle.start(ready, now=NOW)

    assert (caught.value.code, str(caught.value)) == ("cannot_dial", f"{PREFIX} ({reason}).")
    ready.refresh_from_db()
    assert ready.status == CampaignStatus.DRAFT
    assert not CampaignEvent.objects.exists()


def test_every_reason_is_given_at_once(ready):
    _no_weekday(ready)
    ready.save()
    _no_agent(ready)
    _no_target(ready)

    with pytest.raises(CampaignCannotDial) as caught:
        lifecycle.start(ready, now=NOW)
    assert str(caught.value) == (
        f"{PREFIX} (no weekday is ticked, so the daily window never opens; its agent group has "
        "no enabled agent; it has no target waiting to be dialled)."
    )


def test_a_campaign_that_can_dial_starts(ready):
    assert lifecycle.start(ready, now=NOW).status == CampaignStatus.RUNNING


def test_resume_needs_no_waiting_target_but_still_a_weekday(ready):
    ready.status = CampaignStatus.PAUSED
    ready.save()
    _no_target(ready)
    assert lifecycle.resume(ready, now=NOW).status == CampaignStatus.RUNNING

    lifecycle.pause(ready, now=NOW)
    _no_weekday(ready)
    ready.save()
    with pytest.raises(CampaignCannotDial):
        lifecycle.resume(ready, now=NOW)


def test_the_api_answers_409_with_the_reason(ready, supervisor):
    _no_weekday(ready)
    ready.save()
    client = APIClient()
    client.force_authenticate(supervisor)

    response = client.post(f"/api/campaigns/{ready.pk}/start/", {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "Cannot start this campaign: it could never place a call (no weekday is "
            "ticked, so the daily window never opens).",
            "code": "cannot_dial",
        },
    )


def test_the_admin_action_shows_the_reason(client, superuser, ready):
    _no_agent(ready)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "start_campaigns", "_selected_action": [ready.pk]},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{ready.name}: {PREFIX} (its agent group has no enabled agent)."
    ]
    ready.refresh_from_db()
    assert ready.status == CampaignStatus.DRAFT
