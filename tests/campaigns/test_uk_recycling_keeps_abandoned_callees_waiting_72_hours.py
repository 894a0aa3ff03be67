"""Lead recycling in UK mode: a callee abandoned less than 72 hours ago goes back to pending but
waits until 72 hours after the abandon; one abandoned earlier, or any callee in US mode, is due
at once."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import CallAttempt, CampaignStatus, Outcome, TargetState
from campaigns.services import lifecycle
from tests.factories import make_attempt, make_target

NOW = dt.datetime(2026, 11, 5, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("formula", ["uk_24h", "us_30d"])
def test_uk_recycling_keeps_abandoned_callees_waiting_72_hours(campaign, agents, formula):
    campaign.status = CampaignStatus.COMPLETED
    campaign.abandon_formula = formula
    campaign.save()
    recent = make_target(campaign, state=TargetState.FAILED, last_outcome=Outcome.ABANDONED,
                         attempts=3)
    old = make_target(campaign, state=TargetState.FAILED, last_outcome=Outcome.ABANDONED,
                      attempts=3)
    abandoned_at = NOW - dt.timedelta(hours=10)
    for target, at in ((recent, abandoned_at), (old, NOW - dt.timedelta(hours=80))):
        attempt = make_attempt(target, outcome=Outcome.ABANDONED, answered_at=at)
        CallAttempt.objects.filter(id=attempt.id).update(created_at=at)

    assert lifecycle.recycle(campaign, [Outcome.ABANDONED], now=NOW) == 2

    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.state, old.state) == (TargetState.PENDING, TargetState.PENDING)
    assert old.next_attempt_at is None
    if formula == "uk_24h":
        assert recent.next_attempt_at == abandoned_at + dt.timedelta(hours=72)
    else:
        assert recent.next_attempt_at is None
