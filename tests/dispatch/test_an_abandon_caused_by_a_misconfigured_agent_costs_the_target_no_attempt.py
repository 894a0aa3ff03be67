"""Lab report O1, replayed from the lab's capture s9 (real FreeSWITCH 1.10.12): the reserved
agent's user is in a domain the node does not know, so `bridge user/1002@unknown.example` fails at
once with `originate_disposition=SUBSCRIBER_ABSENT` and no B channel, and the callee, held on
ringback, hangs up. The agent is marked misconfigured; the attempt is an abandon (the regulator
counts it so) but our configuration caused it, so the target keeps its attempt."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent, CallAttempt, Outcome, TargetState
from tests.dispatch.captured_calls import call_world, capture_events, job_for
from tests.dispatch.world import bring_up
from tests.factories import make_agent

pytestmark = pytest.mark.integration

A = "935ef88a-2097-470a-94a4-af1c95f26e78"  # the capture's callee leg


def test_an_abandon_caused_by_a_misconfigured_agent_costs_the_target_no_attempt(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("lab/lab-s9-")
    campaign = world.setup(mode="target_first", retry_abandoned_seconds=1800, max_attempts=1)
    group = campaign.agent_group
    world.agents = {"1002": make_agent(group, sip_user="1002", sip_domain="unknown.example",
                                       wrapup_seconds=0)}
    key = world.agents["1002"].presence_key
    now_ts = time.time()
    world.store.sync_agents({group.name: [(key, 0, True)]}, now_ts)
    bring_up(world.store, "fs1", [key], now_ts)
    target, attempt = world.call("1002", A, attempt_id=14, job_uuid=job_for(events, "+OK"))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]
    assert "agent_failed" in done and "abandoned" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.ABANDONED, False)
    assert (attempt.hangup_cause, attempt.agent_leg_cause) == (
        "NORMAL_CLEARING", "SUBSCRIBER_ABSENT")
    # max_attempts=1: a counted abandon would have failed the target for good.
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 0)
    assert target.next_attempt_at == now + dt.timedelta(seconds=1800)
    agent = Agent.objects.get(id=world.agents["1002"].id)
    assert agent.misconfigured.startswith("SUBSCRIBER_ABSENT on fs1")
    assert world.store.snapshot([key], time.time())[key].intent == "logged_out"
    assert CallAttempt.objects.filter(target=target).count() == 1
