"""Captures 26, 27 and 29b: the agent's phone refuses (486), is dead (a synthesised 503) or does
not answer within the ring timeout after the callee answered. The agent is charged by reason
(busy delay; unreachable: registrations kept, marked so at once, and counted like a missed ring;
no-answer delay and a missed call that with `max_no_answer` puts it on break); the callee's
attempt is `abandoned` when FreeSWITCH hung it up with the agent's cause (no `continue_on_fail`),
never an uncounted retry at once."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent, Outcome, TargetState
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("capture", "call_uuid", "attempt_id", "cause", "penalty"), [
    ("26-", "00000000-0000-4000-8000-000000000026", 126, "USER_BUSY", "busy"),
    ("27-", "00000000-0000-4000-8000-000000000027", 127, "NORMAL_TEMPORARY_FAILURE",
     "unreachable"),
])
def test_agent_leg_failure_without_continue_on_fail_is_abandoned_and_charged_to_the_agent(
        transactional_db, redis_client, key_prefix, capture, call_uuid, attempt_id, cause,
        penalty):
    world = call_world(redis_client, key_prefix)
    events = capture_events(capture)
    world.setup(mode="target_first", retry_abandoned_seconds=600)
    target, attempt = world.call("1001", call_uuid, attempt_id=attempt_id,
                                 job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]
    assert "abandoned" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.hangup_cause, attempt.counts_as_attempt) == (
        Outcome.ABANDONED, cause, True)
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 1)
    assert target.next_attempt_at == now + dt.timedelta(seconds=600)
    agent = Agent.objects.get(sip_user="1001")
    assert agent.penalty_reason == penalty
    assert not world.routable("1001") and world.routable("1000")
    view = world.store.snapshot([agent.presence_key], time.time())[agent.presence_key]
    # A dead contact is marked at once and kept (the node still lists it, lab report D2), so
    # a reconcile cannot bring it back; a refusing phone's registration is untouched.
    assert view.registered is (penalty != "unreachable")
    assert [r.unreachable for r in view.registrations] == [penalty == "unreachable"]
    assert agent.no_answer_count == (1 if penalty == "unreachable" else 0)


def test_agent_not_answering_within_the_ring_timeout_counts_a_missed_call_and_breaks_the_agent(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("29b-")
    world.setup(mode="target_first")
    Agent.objects.filter(sip_user="1001").update(max_no_answer=1, no_answer_delay_seconds=45)
    _, attempt = world.call("1001", "00000000-0000-4000-8000-000000000292", attempt_id=1292,
                            job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)
    bridge_end = next(i for i, e in enumerate(events) if e.name == "CHANNEL_EXECUTE_COMPLETE"
                      and e.get("Application") == "bridge")

    assert world.results.apply(events[bridge_end], now) == "agent_failed"
    assert world.failed_over == [attempt.id]
    agent = Agent.objects.get(sip_user="1001")
    assert (agent.penalty_reason, agent.no_answer_count) == ("no_answer", 1)
    assert agent.penalty_until == now + dt.timedelta(seconds=45)
    view = world.store.snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert (view.intent, view.reason) == ("paused", "max-no-answer: 1 calls in a row not answered")
    assert not view.routable
    # Replayed (a redelivery): the agent is not charged twice.
    assert world.results.apply(events[bridge_end], now) == "ignored"
    assert Agent.objects.get(sip_user="1001").no_answer_count == 1
