"""Capture 34 (target_first, the callee answered and was bridged to agent 1000) with its
CHANNEL_BRIDGE lost (the listener down between the bridge and the hangup): leg A's own
CHANNEL_HANGUP_COMPLETE carries `Caller-Channel-Bridged-Time`, so the call is answered (final),
never an abandon that would call the person again after the abandon delay. Without that proof
(capture 26: Bridged-Time 0) it stays abandoned: see the agent phone failure tests."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Outcome, TargetState
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration

CALL = "00000000-0000-4000-8000-000000000034"


def test_a_hangup_that_says_bridged_ends_answered_when_the_bridge_event_was_lost(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = [e for e in capture_events("34-") if e.get("variable_attempt_id") in ("134", "")
              and e.name != "CHANNEL_BRIDGE"]
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE"
                  and e.get("Unique-ID") == CALL)
    world.setup(mode="target_first", retry_abandoned_seconds=5)
    target, attempt = world.call("1000", CALL, attempt_id=134, job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]

    assert "bridged" not in done and "answered" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert attempt.outcome == Outcome.ANSWERED
    assert attempt.bridged_at == dt.datetime.fromtimestamp(
        int(hangup.get("Caller-Channel-Bridged-Time")) / 1_000_000, tz=dt.UTC)
    assert (target.state, target.next_attempt_at) == (TargetState.COMPLETED, None)
    # Counted as connected in the abandon figures: the callee's wait is known.
    wait = attempt.bridged_at - max(t for t in (attempt.answered_at, attempt.dtmf_sent_at) if t)
    assert attempt.answer_to_agent_ms == int(wait.total_seconds() * 1000)
