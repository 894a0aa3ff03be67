"""UK mode (Ofcom): no repeat call to an abandoned number within 72 hours. The callee of capture
28 hangs up while the agent's phone rings (abandoned): under the UK formula the target waits 72
hours whatever the campaign's abandon delay says; under the US formula, the abandon delay."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Outcome, TargetState
from campaigns.services.reporting import compliance
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000028"


@pytest.mark.parametrize(("formula", "delay"), [
    ("uk_24h", dt.timedelta(hours=72)),
    ("us_30d", dt.timedelta(seconds=1800)),
])
def test_uk_mode_never_redials_an_abandoned_callee_within_72_hours(
        transactional_db, redis_client, key_prefix, formula, delay):
    world = call_world(redis_client, key_prefix)
    events = capture_events("28-")
    campaign = world.setup(mode="target_first", retry_abandoned_seconds=1800, max_attempts=3,
                           abandon_formula=formula)
    target, attempt = world.call("1001", A, attempt_id=128, job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)

    for event in events:
        world.results.apply(event, now)

    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, target.state) == (Outcome.ABANDONED, TargetState.RETRY_WAIT)
    assert target.next_attempt_at == now + delay
    # The evidence page's check agrees: blocked for 72 hours in UK mode only.
    blocked = compliance.uk_redial_blocked(campaign, target.id, now + dt.timedelta(hours=71))
    assert blocked is (formula == "uk_24h")
    assert not compliance.uk_redial_blocked(campaign, target.id, now + dt.timedelta(hours=73))
