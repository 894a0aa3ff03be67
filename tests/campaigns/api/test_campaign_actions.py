"""Lifecycle actions: legal moves change status and record who; illegal ones are a 409."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import CampaignEvent
from tests.factories import make_dialable


@pytest.fixture(autouse=True)
def _campaign_can_dial(campaign):
    """Starting a campaign needs an agent and a target (lifecycle refuses one that cannot dial)."""
    make_dialable(campaign)



def _post(client, campaign, verb, **body):
    return client.post(f"/api/campaigns/{campaign.pk}/{verb}/", body, format="json")


def test_start_runs_a_draft_and_records_the_supervisor_and_reason(
    as_supervisor, supervisor, campaign
):
    response = _post(as_supervisor, campaign, "start", reason="go live")

    assert response.status_code == 200
    assert response.json()["status"] == "running"
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "draft",
        "running",
        supervisor,
        "go live",
    )


def test_start_schedules_a_draft_whose_start_date_is_ahead(as_supervisor, campaign):
    campaign.starts_at = timezone.now() + dt.timedelta(days=1)
    campaign.save()

    response = _post(as_supervisor, campaign, "start")

    assert (response.status_code, response.json()["status"]) == (200, "scheduled")


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (["start", "pause"], "paused"),
        (["start", "pause", "resume"], "running"),
        (["start", "cancel"], "cancelled"),
        (["cancel"], "cancelled"),
    ],
)
def test_legal_sequences_end_in_the_expected_status(as_supervisor, campaign, steps, final):
    statuses = [_post(as_supervisor, campaign, verb).status_code for verb in steps]

    assert statuses == [200] * len(steps)
    campaign.refresh_from_db()
    assert campaign.status == final
    assert CampaignEvent.objects.filter(campaign=campaign).count() == len(steps)


@pytest.mark.parametrize(
    ("steps", "verb", "body"),
    [
        (
            [],
            "pause",
            {"detail": "Cannot pause a campaign that is draft.", "code": "illegal_transition"},
        ),
        (
            [],
            "resume",
            {"detail": "Cannot resume a campaign that is draft.", "code": "illegal_transition"},
        ),
        (
            ["start"],
            "start",
            {"detail": "Cannot start a campaign that is running.", "code": "illegal_transition"},
        ),
        (
            ["start"],
            "resume",
            {"detail": "Cannot resume a campaign that is running.", "code": "illegal_transition"},
        ),
        (
            ["cancel"],
            "start",
            {"detail": "Cannot start a campaign that is cancelled.", "code": "illegal_transition"},
        ),
        (
            ["cancel"],
            "cancel",
            {"detail": "Cannot cancel a campaign that is cancelled.", "code": "illegal_transition"},
        ),
    ],
)
def test_an_illegal_move_is_a_409_with_a_clear_body(as_supervisor, campaign, steps, verb, body):
    for step in steps:
        assert _post(as_supervisor, campaign, step).status_code == 200
    before = campaign.__class__.objects.get(pk=campaign.pk).status

    response = _post(as_supervisor, campaign, verb)

    assert (response.status_code, response.json()) == (409, body)
    campaign.refresh_from_db()
    assert campaign.status == before


def test_starting_a_campaign_past_its_end_date_is_a_409(as_supervisor, campaign):
    campaign.ends_at = timezone.now() - dt.timedelta(hours=1)
    campaign.save()

    response = _post(as_supervisor, campaign, "start")

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "Cannot start a campaign whose end date has passed.", "code": "campaign_ended"},
    )


def test_a_reason_too_long_is_a_400(as_supervisor, campaign):
    response = _post(as_supervisor, campaign, "start", reason="x" * 201)

    assert (response.status_code, response.json()) == (
        400,
        {"reason": ["Ensure this field has no more than 200 characters."]},
    )
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_an_action_on_a_missing_campaign_is_a_404(as_supervisor, db):
    response = as_supervisor.post("/api/campaigns/999999/start/", {}, format="json")

    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No Campaign matches the given query."},
    )


def test_a_running_campaign_cannot_be_deleted_but_a_cancelled_one_can(as_supervisor, campaign):
    _post(as_supervisor, campaign, "start")

    refused = as_supervisor.delete(f"/api/campaigns/{campaign.pk}/")
    _post(as_supervisor, campaign, "cancel")
    deleted = as_supervisor.delete(f"/api/campaigns/{campaign.pk}/")

    assert (refused.status_code, refused.json()) == (
        409,
        {
            "detail": "A running campaign cannot be deleted; cancel it first.",
            "code": "campaign_active",
        },
    )
    assert deleted.status_code == 204
    assert not campaign.__class__.objects.filter(pk=campaign.pk).exists()


def test_a_trunk_in_use_cannot_be_deleted(as_supervisor, campaign):
    response = as_supervisor.delete(f"/api/trunks/{campaign.trunk_id}/")

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "Still used by campaigns; remove or reassign those first.", "code": "in_use"},
    )
