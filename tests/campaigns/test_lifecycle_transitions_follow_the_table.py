"""Every campaign transition, legal and illegal, from every status: the table is the law."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.errors import IllegalTransition
from campaigns.models import CampaignEvent, CampaignStatus
from campaigns.services import lifecycle
from tests.factories import make_dialable


@pytest.fixture(autouse=True)
def _campaign_can_dial(campaign):
    """Starting a campaign needs an agent and a target (lifecycle refuses one that cannot dial)."""
    make_dialable(campaign)


S = CampaignStatus
ALL = list(S)
NAMES = ["schedule", "start", "pause", "resume", "complete", "cancel", "reopen"]

LEGAL = {
    ("schedule", S.DRAFT): S.SCHEDULED,
    ("start", S.DRAFT): S.RUNNING,
    ("start", S.SCHEDULED): S.RUNNING,
    ("pause", S.RUNNING): S.PAUSED,
    ("resume", S.PAUSED): S.RUNNING,
    ("complete", S.RUNNING): S.COMPLETED,
    ("complete", S.PAUSED): S.COMPLETED,
    ("cancel", S.DRAFT): S.CANCELLED,
    ("cancel", S.SCHEDULED): S.CANCELLED,
    ("cancel", S.RUNNING): S.CANCELLED,
    ("cancel", S.PAUSED): S.CANCELLED,
    # New targets (an import, lead recycling) or a disposition (call back, retry) give a
    # completed campaign more calls to place.
    ("reopen", S.COMPLETED): S.RUNNING,
}
ILLEGAL = [(name, status) for name in NAMES for status in ALL if (name, status) not in LEGAL]


@pytest.mark.parametrize(("name", "from_status"), list(LEGAL))
def test_a_legal_transition_moves_the_campaign_and_records_who_and_why(
    campaign, supervisor, name, from_status, django_capture_on_commit_callbacks
):
    campaign.status = from_status
    campaign.save()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        moved = getattr(lifecycle, name)(campaign, actor=supervisor, reason="because", now=now)

    expected = LEGAL[(name, from_status)]
    assert moved.status == expected
    campaign.refresh_from_db()
    assert campaign.status == expected
    assert campaign.status_changed_at == now
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.from_status, event.to_status, event.actor, event.reason, event.at) == (
        from_status,
        expected,
        supervisor,
        "because",
        now,
    )


@pytest.mark.parametrize(("name", "from_status"), ILLEGAL)
def test_an_illegal_transition_raises_and_changes_nothing(campaign, name, from_status):
    campaign.status = from_status
    campaign.save()
    with pytest.raises(IllegalTransition) as caught:
        getattr(lifecycle, name)(campaign, reason="nope")

    label = S(from_status).label.lower()
    assert str(caught.value) == f"Cannot {name} a campaign that is {label}."
    assert caught.value.code == "illegal_transition"
    campaign.refresh_from_db()
    assert campaign.status == from_status
    assert not CampaignEvent.objects.filter(campaign=campaign).exists()


def test_the_table_covers_every_status_and_leaves_a_final_one_only_by_reopening():
    for name, moves in lifecycle.TRANSITIONS.items():
        # Only reopen leaves a final status, and only completed (a cancel is for good).
        left = set(moves) & lifecycle.FINAL_STATUSES
        assert left == ({S.COMPLETED} if name == "reopen" else set()), name
    assert {LEGAL[key] for key in LEGAL} | {S.DRAFT} == set(ALL)
    assert {
        (n, f): t for n, moves in lifecycle.TRANSITIONS.items() for f, t in moves.items()
    } == LEGAL
