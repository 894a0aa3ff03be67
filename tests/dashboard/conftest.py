"""A small world for dashboard tests: a supervisor, a campaign, its targets and attempts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from campaigns.models import AgentGroup, CallAttempt, Campaign, Target, Trunk


@pytest.fixture
def supervisor(db):
    return get_user_model().objects.create_user(
        "supervisor", password="pw-for-tests-only", is_staff=True
    )


@pytest.fixture
def campaign(db):
    trunk = Trunk.objects.create(name="carrier", gateway="carrier")
    group = AgentGroup.objects.create(name="sales")
    made = Campaign.objects.create(name="Spring <b>outreach</b>", trunk=trunk, agent_group=group)
    yield made
    cache.delete(f"dashboard:campaign:{made.pk}")


@pytest.fixture
def make_targets(campaign):
    def make(state: str, count: int, start: int = 0) -> list[Target]:
        return Target.objects.bulk_create(
            Target(campaign=campaign, number=f"+1415555{start + i:04d}", extension="12",
                   state=state)
            for i in range(count)
        )

    return make


@pytest.fixture
def make_attempt(campaign):
    counter = iter(range(1, 10_000))

    def make(target: Target, outcome: str = "", cause: str = "", ago_seconds: int = 0, at=None):
        at = at or timezone.now() - dt.timedelta(seconds=ago_seconds)
        attempt = CallAttempt.objects.create(
            target=target, campaign=campaign, attempt_number=next(counter),
            outcome=outcome, hangup_cause=cause, ended_at=at if outcome else None,
        )
        # created_at is auto_now_add: move it to the moment the test means.
        CallAttempt.objects.filter(pk=attempt.pk).update(created_at=at)
        return attempt

    return make
