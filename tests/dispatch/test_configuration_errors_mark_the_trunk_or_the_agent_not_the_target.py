"""Capture 33: `-ERR INVALID_GATEWAY` marks the trunk misconfigured on that node (the dialer
stops using the node for it), `-ERR SUBSCRIBER_ABSENT` on an agent's leg marks the agent
misconfigured (logged out, never synced back as routable); the targets are untouched."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import Agent, Outcome, TargetState
from campaigns.services.floor.presence import sync_agents
from tests.dispatch.captured_calls import call_world, capture_events, job_for

pytestmark = pytest.mark.integration


def test_invalid_gateway_marks_the_trunk_on_that_node_and_leaves_the_target_uncounted(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    events = capture_events("33-")
    campaign = world.setup(mode="target_first")
    target, attempt = world.call("1001", "00000000-0000-4000-8000-000000000331",
                                 job_uuid=job_for(events, "-ERR INVALID_GATEWAY"))
    now = dt.datetime.now(tz=dt.UTC)

    done = [world.results.apply(e, now) for e in events]
    assert "config_error" in done
    attempt.refresh_from_db()
    target.refresh_from_db()
    campaign.trunk.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.CONFIG_ERROR, False)
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 0)
    assert campaign.trunk.misconfigured_on == {
        "fs1": {"cause": "INVALID_GATEWAY", "at": now.isoformat()}}
    assert world.routable("1001")


def test_subscriber_absent_marks_the_agent_misconfigured_until_a_person_clears_it(
        transactional_db, redis_client, key_prefix, settings):
    settings.REDIS_KEY_PREFIX = key_prefix
    world = call_world(redis_client, key_prefix)
    events = capture_events("33-")
    world.setup(mode="agent_first")
    target, attempt = world.call("1000", "00000000-0000-4000-8000-000000000332",
                                 job_uuid=job_for(events, "-ERR SUBSCRIBER_ABSENT"))
    now = dt.datetime.now(tz=dt.UTC)

    for event in events:
        world.results.apply(event, now)
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.AGENT_UNAVAILABLE, False)
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 0)
    agent = Agent.objects.get(sip_user="1000")
    assert agent.misconfigured.startswith("SUBSCRIBER_ABSENT on fs1 at ")
    view = world.store.snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert (view.intent, view.reason) == ("logged_out", "misconfigured: SUBSCRIBER_ABSENT")
    # The periodic sync keeps it out of routing: enabled is false while it is misconfigured.
    sync_agents()
    view = world.store.snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert not view.enabled and not view.routable
