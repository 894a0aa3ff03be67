"""Targets added to a completed campaign reopen it (or the import says why not); lead recycling
resets chosen outcomes for another pass, counts passes and writes the audit trail, from the
service, the API and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.errors import RecycleError
from campaigns.imports import import_rows
from campaigns.models import CampaignEvent, CampaignStatus, Outcome, Target, TargetState
from campaigns.services import lifecycle
from tests.factories import make_target

S = CampaignStatus
REOPENED = "The campaign was completed and has been reopened to dial these targets."


@pytest.fixture
def finished(campaign, agents):
    """A completed campaign: one target of each finished kind."""
    campaign.status = S.COMPLETED
    campaign.save()
    rows = {
        "answered": (TargetState.COMPLETED, Outcome.ANSWERED),
        "busy": (TargetState.FAILED, Outcome.BUSY),
        "no_answer": (TargetState.FAILED, Outcome.NO_ANSWER),
        "failed": (TargetState.FAILED, Outcome.FAILED),
        "cut_short": (TargetState.CANCELLED, Outcome.NO_ANSWER),  # cancelled by complete()
        "dnc": (TargetState.DO_NOT_CALL, ""),
    }
    return {
        name: make_target(campaign, state=state, last_outcome=outcome, attempts=3)
        for name, (state, outcome) in rows.items()
    }


def _states(campaign):
    return dict(Target.objects.filter(campaign=campaign).values_list("id", "state"))


def test_an_import_into_a_completed_campaign_reopens_it(campaign, finished, supervisor):
    report = import_rows(campaign, [{"number": "+14155550177"}], actor=supervisor)

    assert report.notice == REOPENED
    campaign.refresh_from_db()
    assert campaign.status == S.RUNNING
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.action, event.from_status, event.to_status, event.actor, event.reason) == (
        "reopen", S.COMPLETED, S.RUNNING, supervisor, "1 targets added"
    )


def test_a_dry_run_says_it_would_reopen_and_changes_nothing(campaign, finished):
    report = import_rows(campaign, [{"number": "+14155550177"}], dry_run=True)
    assert report.notice == (
        "The campaign is completed: importing reopens it so these targets are dialled."
    )
    campaign.refresh_from_db()
    assert campaign.status == S.COMPLETED


def test_the_import_says_why_a_campaign_is_not_reopened(campaign, finished):
    campaign.ends_at = timezone.now() - dt.timedelta(days=1)
    campaign.save()
    report = import_rows(campaign, [{"number": "+14155550177"}])
    assert report.notice == (
        "The campaign is completed and stays so: it could never place a call (its end date has "
        "passed). Fix that, then resume it from the admin."
    )
    campaign.status = S.CANCELLED
    campaign.save()
    report = import_rows(campaign, [{"number": "+14155550178"}])
    assert report.notice.startswith("The campaign is cancelled: these targets are stored but will")


def test_the_api_import_reports_the_reopening(campaign, finished, supervisor):
    client = APIClient()
    client.force_authenticate(supervisor)
    body = {"campaign": campaign.pk, "targets": [{"number": "+14155550177"}]}
    response = client.post("/api/targets/bulk/", body, format="json")
    assert (response.status_code, response.json()["notice"]) == (
        201, REOPENED
    )


def test_recycling_resets_the_chosen_outcomes_for_another_pass(campaign, finished, supervisor):
    before = _states(campaign)

    reset = lifecycle.recycle(
        campaign, [Outcome.NO_ANSWER, Outcome.BUSY], actor=supervisor, reason="evening pass"
    )

    assert reset == 3
    after = _states(campaign)
    changed = {name for name, target in finished.items() if after[target.id] != before[target.id]}
    assert changed == {"busy", "no_answer", "cut_short"}
    for name in changed:
        target = Target.objects.get(pk=finished[name].pk)
        assert (target.state, target.attempts, target.next_attempt_at) == ("pending", 0, None)
    campaign.refresh_from_db()
    assert (campaign.passes, campaign.status) == (2, S.RUNNING)
    recycle, reopen = CampaignEvent.objects.filter(campaign=campaign).order_by("id")
    assert (recycle.action, recycle.actor, recycle.reason) == (
        "recycle", supervisor, "pass 2: 3 targets (busy, no answer); evening pass"
    )
    assert (reopen.action, reopen.to_status) == ("reopen", S.RUNNING)


@pytest.mark.parametrize(
    ("outcomes", "code", "message"),
    [
        ([], "no_outcome", "Choose at least one outcome to recycle."),
        ([Outcome.ANSWERED], "bad_outcome", "These outcomes cannot be recycled: answered."),
        ([Outcome.REJECTED], "nothing_to_recycle",
         "No finished target has one of those outcomes; nothing to recycle."),
    ],
)
def test_a_refused_recycle_says_why_and_changes_nothing(
    campaign, finished, outcomes, code, message
):
    before = _states(campaign)
    with pytest.raises(RecycleError) as caught:
        lifecycle.recycle(campaign, outcomes)
    assert (caught.value.code, str(caught.value)) == (code, message)
    assert _states(campaign) == before
    campaign.refresh_from_db()
    assert campaign.passes == 1


def test_every_finished_outcome_but_answered_is_recyclable():
    # An outcome added to Outcome (e.g. issue 9's "abandoned") becomes recyclable by itself.
    assert set(lifecycle.RECYCLABLE_OUTCOMES) == set(Outcome.values) - {"", "answered"}


def test_the_api_recycles_and_refuses_with_a_409(campaign, finished, supervisor):
    client = APIClient()
    client.force_authenticate(supervisor)
    url = f"/api/campaigns/{campaign.pk}/recycle/"

    done = client.post(url, {"outcomes": ["busy"], "reason": "retry"}, format="json")
    assert done.status_code == 200
    assert (done.json()["reset"], done.json()["campaign"]["passes"]) == (1, 2)

    again = client.post(url, {"outcomes": ["busy"]}, format="json")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "No finished target has one of those outcomes; nothing to recycle.",
         "code": "nothing_to_recycle"},
    )
    bad = client.post(url, {"outcomes": ["answered"]}, format="json")
    assert (bad.status_code, bad.json()) == (
        400, {"outcomes": ['"answered" is not a valid choice.']}
    )


def test_the_admin_recycle_page_runs_a_pass(client, superuser, campaign, finished):
    client.force_login(superuser)
    url = reverse("admin:campaigns_campaign_recycle", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'value="no_answer"' in page and 'value="answered"' not in page

    response = client.post(url, {"outcomes": ["failed"], "reason": ""}, follow=True)

    assert "Pass 2: 1 targets put back to pending; the campaign is running." in (
        response.content.decode()
    )
    assert Target.objects.get(pk=finished["failed"].pk).state == TargetState.PENDING
