"""Issue 16 item 1: what the agent decided during the call (call back at a time in the target's
zone, retry, do not call) wins over the hangup's default (`completed` / `answered`), whichever
of the two arrives first; a campaign with a scheduled call back is never `completed`.

The call is capture 24 (target_first, answered, bridged, both hang up), replayed into the
results applier on real PostgreSQL and Redis; the disposition goes through the one service the
API and the agent page use.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import (
    CallAttempt,
    Callback,
    CallbackState,
    Campaign,
    CampaignStatus,
    Disposition,
    DoNotCall,
    Outcome,
    Target,
    TargetState,
)
from campaigns.services.floor.dispositions import add_default_dispositions, set_disposition
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

A = "00000000-0000-4000-8000-000000000024"
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def _hangup_index(events) -> int:
    return next(i for i, e in enumerate(events)
                if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == A)


def _world(redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("24")
    world.setup(mode="target_first", timezone="America/Los_Angeles")
    add_default_dispositions(world.campaign)
    target, attempt = world.call("1000", A, attempt_id=77, job_uuid=job_for(events, "+OK"))
    return world, events, target, attempt


def _dispose(attempt, code: str, now: dt.datetime):
    attempt.refresh_from_db()
    disposition = Disposition.objects.get(campaign=attempt.campaign, code=code)
    tomorrow_ten = dt.datetime.combine((now.astimezone(LA) + dt.timedelta(days=1)).date(),
                                       dt.time(10))
    set_disposition(attempt, disposition, notes="wants the manager",
                    callback_at=tomorrow_ten if code == "call_back" else None, now=now)
    return tomorrow_ten.replace(tzinfo=LA)


@pytest.mark.parametrize("order", ["during_the_call", "after_the_hangup"])
def test_a_call_back_tomorrow_ten_survives_the_hangup_and_keeps_the_campaign_running(
        transactional_db, redis_client, key_prefix, order):
    world, events, target, attempt = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    split = _hangup_index(events)
    for event in events[:split]:
        world.results.apply(event, now)
    attempt.refresh_from_db()
    assert attempt.bridged_at is not None and attempt.ended_at is None

    if order == "during_the_call":
        due = _dispose(attempt, "call_back", now)
        # While the call is up its target stays in flight: never due for a second call.
        target.refresh_from_db()
        assert (target.state, target.last_outcome) == (TargetState.DIALING, "call_back")
        done = [world.results.apply(e, now) for e in events[split:]]
        assert "answered" in done
    else:
        for event in events[split:]:
            world.results.apply(event, now)
        due = _dispose(attempt, "call_back", now)

    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.disposition.code) == (Outcome.ANSWERED, "call_back")
    assert (target.state, target.next_attempt_at, target.last_outcome) == (
        TargetState.RETRY_WAIT, due, "call_back")
    assert target.attempts == 1
    callback = Callback.objects.get(target=target)
    assert (callback.state, callback.due_at) == (CallbackState.SCHEDULED, due)
    assert Campaign.objects.get(id=world.campaign.id).status == CampaignStatus.RUNNING


@pytest.mark.parametrize(("code", "state"), [("wrong_person", TargetState.RETRY_WAIT),
                                              ("do_not_call", TargetState.DO_NOT_CALL)])
def test_a_retry_or_do_not_call_set_during_the_call_is_not_overwritten_by_the_hangup(
        transactional_db, redis_client, key_prefix, code, state):
    world, events, target, attempt = _world(redis_client, key_prefix)
    now = dt.datetime.now(tz=dt.UTC)
    split = _hangup_index(events)
    for event in events[:split]:
        world.results.apply(event, now)
    _dispose(attempt, code, now)
    assert Target.objects.get(id=target.id).state == TargetState.DIALING  # still in flight
    for event in events[split:]:
        world.results.apply(event, now)

    target.refresh_from_db()
    assert (target.state, target.last_outcome) == (state, code)
    if code == "wrong_person":  # retry_seconds 3600 by default
        assert target.next_attempt_at == now + dt.timedelta(seconds=3600)
        assert Campaign.objects.get(id=world.campaign.id).status == CampaignStatus.RUNNING
    else:
        assert target.next_attempt_at is None
        assert DoNotCall.objects.filter(number=target.number).exists()
    assert CallAttempt.objects.get(id=attempt.id).outcome == Outcome.ANSWERED
