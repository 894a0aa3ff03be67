"""Targets queued for a dial task that was lost go back to pending, without counting an attempt."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Target, TargetState
from campaigns.services.call_path import dispatch
from tests.dispatch.world import add_targets
from tests.factories import make_campaign

# In-process only (no other process reads these rows), so a rolled-back transaction suffices.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


def test_only_targets_queued_past_the_timeout_are_returned(dispatch_settings):
    campaign = make_campaign(status="running")
    stale, fresh, dialing = add_targets(campaign, 3)
    Target.objects.filter(id=stale).update(state=TargetState.QUEUED, attempts=1,
                                           updated_at=NOW - dt.timedelta(seconds=181))
    Target.objects.filter(id=fresh).update(state=TargetState.QUEUED,
                                           updated_at=NOW - dt.timedelta(seconds=60))
    Target.objects.filter(id=dialing).update(state=TargetState.DIALING,
                                             updated_at=NOW - dt.timedelta(hours=1))

    assert dispatch.reap_queued(NOW, timeout_seconds=180) == 1

    rows = {t.id: (t.state, t.attempts) for t in Target.objects.all()}
    assert rows == {
        stale: (TargetState.PENDING, 1),  # no attempt counted: the call was never placed
        fresh: (TargetState.QUEUED, 0),
        dialing: (TargetState.DIALING, 0),  # the dial side reaps its own stuck attempts
    }
