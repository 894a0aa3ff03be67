"""Lead recycling in the admin says how many targets each outcome and each disposition would
recycle, can recycle by disposition, and shows its Reason box."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import CampaignEvent, Outcome, TargetState
from campaigns.services.floor.dispositions import add_default_dispositions
from tests.factories import make_attempt, make_superuser, make_target


def test_counts_per_outcome_and_per_disposition(client, campaign):
    add_default_dispositions(campaign)
    wrong = campaign.dispositions.get(code="wrong_person")
    for _ in range(3):
        make_target(campaign, state=TargetState.FAILED, last_outcome=Outcome.NO_ANSWER)
    make_target(campaign, state=TargetState.FAILED, last_outcome=Outcome.BUSY)
    answered = make_target(campaign, state=TargetState.COMPLETED, last_outcome=Outcome.ANSWERED)
    make_attempt(answered, outcome=Outcome.ANSWERED, disposition=wrong)
    client.force_login(make_superuser())
    page = client.get(reverse("admin:campaigns_campaign_recycle", args=[campaign.pk]))
    text = page.content.decode()
    assert f"{Outcome.NO_ANSWER.label} (3)" in text
    assert f"{Outcome.BUSY.label} (1)" in text
    assert "Wrong person (1)" in text and "Sale (0)" in text
    assert "Reason (for the audit trail)" in text
    reason_box = next(tag for tag in text.split("<input") if 'name="reason"' in tag)
    assert "border" in reason_box  # visible, not a borderless line


def test_recycling_by_disposition_reopens_those_targets_only(client, campaign):
    add_default_dispositions(campaign)
    wrong = campaign.dispositions.get(code="wrong_person")
    sale = campaign.dispositions.get(code="sale")
    redo = make_target(campaign, state=TargetState.COMPLETED, last_outcome=Outcome.ANSWERED)
    make_attempt(redo, outcome=Outcome.ANSWERED, disposition=wrong)
    keep = make_target(campaign, state=TargetState.COMPLETED, last_outcome=Outcome.ANSWERED)
    make_attempt(keep, outcome=Outcome.ANSWERED, disposition=sale)
    client.force_login(make_superuser())
    response = client.post(reverse("admin:campaigns_campaign_recycle", args=[campaign.pk]),
                           {"dispositions": [str(wrong.pk)], "reason": "bad numbers fixed"})
    assert response.status_code == 302
    redo.refresh_from_db()
    keep.refresh_from_db()
    assert (redo.state, keep.state) == (TargetState.PENDING, TargetState.COMPLETED)
    event = CampaignEvent.objects.get(campaign=campaign, action="recycle")
    assert event.reason == "pass 2: 1 targets (disposed wrong person); bad numbers fixed"


def test_the_api_recycles_by_disposition_code(campaign, supervisor):
    add_default_dispositions(campaign)
    redo = make_target(campaign, state=TargetState.COMPLETED, last_outcome=Outcome.ANSWERED)
    make_attempt(redo, outcome=Outcome.ANSWERED,
                 disposition=campaign.dispositions.get(code="wrong_person"))
    client = APIClient()
    client.force_authenticate(supervisor)
    url = f"/api/campaigns/{campaign.pk}/recycle/"

    unknown = client.post(url, {"dispositions": ["nope"]}, format="json")
    assert (unknown.status_code, unknown.json()) == (
        400, {"dispositions": ["not a disposition of this campaign: nope"]})
    neither = client.post(url, {"reason": "x"}, format="json")
    assert (neither.status_code, neither.json()) == (400, {"outcomes": ["This field is required."]})
    done = client.post(url, {"dispositions": ["wrong_person"]}, format="json")
    assert (done.status_code, done.json()["reset"]) == (200, 1)
    redo.refresh_from_db()
    assert redo.state == TargetState.PENDING
