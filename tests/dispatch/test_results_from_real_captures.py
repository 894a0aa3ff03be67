"""The results applier on real FreeSWITCH event streams (captures 10, 19 and 24), stored in
PostgreSQL with the agent and live-call slot given back in Redis, and idempotent on replay.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, Target, TargetState
from campaigns.services.call_path.results import Results, decode
from telephony.call_records import CallRecord, load_call, save_call
from telephony.events import SUBSCRIBED_EVENTS, stream_fields
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from telephony.protocol import EVENT_TYPES, FrameParser, parse_event
from tests.dispatch.world import bring_up
from tests.factories import make_agent, make_campaign, make_group, make_target
from tests.telephony.fixtures import capture_path, server_stream

pytestmark = pytest.mark.integration


def capture_events(prefix: str):
    """The channel events and BACKGROUND_JOBs of a capture, as the listener streams them."""
    events = []
    for frame in FrameParser().feed(server_stream(capture_path(prefix))):
        if frame.content_type not in EVENT_TYPES:
            continue
        event = parse_event(frame)
        if event.name in SUBSCRIBED_EVENTS:
            events.append(decode(stream_fields("fs1", event, event.headers, event.body)))
    return events


def _job_for(events, body_prefix: str) -> str:
    return next(e.get("Job-UUID") for e in events
                if e.name == "BACKGROUND_JOB" and e.body.startswith(body_prefix))


@pytest.fixture
def world(transactional_db, redis_client, key_prefix):
    store = PresenceStore(redis_client, key_prefix)
    pacer = Pacer(redis_client, key_prefix)
    results = Results(presence=store, pacer=pacer, redis=redis_client, prefix=key_prefix)
    return store, pacer, results, redis_client, key_prefix


def _held_call(world, campaign, attempt, agent) -> CallRecord:
    """Reserve the agent and record the call the way the dialer does before originating."""
    store, pacer, _, client, prefix = world
    now = time.time()
    store.sync_agents({campaign.agent_group.name: [(agent.presence_key, 0, True)]}, now)
    bring_up(store, "fs1", [agent.presence_key], now)
    reservation = store.reserve(campaign.agent_group.name, ["fs1"], now, 60)
    assert reservation is not None
    scopes = ("trunk:1", "node:fs1", f"campaign:{campaign.id}")
    record = CallRecord(attempt.id, "fs1", agent.presence_key, reservation.token, scopes,
                        campaign.mode, 0)
    save_call(client, prefix, str(attempt.uuid), record)
    pacer.add_call(scopes, str(attempt.uuid))
    return record


def _apply_all(results, events, now):
    return [results.apply(e, now) for e in events]


def test_busy_callee_is_counted_and_retried_after_the_busy_delay(world):
    store, pacer, results, client, prefix = world
    events = capture_events("10")
    group = make_group()
    agent = make_agent(group)
    campaign = make_campaign(agent_group=group, status="running", retry_busy_seconds=300)
    target = make_target(campaign, state=TargetState.DIALING)
    attempt = CallAttempt.objects.create(
        target=target, campaign=campaign, attempt_number=1, agent=agent, node="fs1",
        uuid=uuid.UUID("00000000-0000-4000-8000-000000000010"),
        job_uuid=uuid.UUID(_job_for(events, "-ERR")),
    )
    _held_call(world, campaign, attempt, agent)
    now = dt.datetime.now(tz=dt.UTC)

    assert "busy" in _apply_all(results, events, now)
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.hangup_cause, attempt.counts_as_attempt) == (
        Outcome.BUSY, "USER_BUSY", True)
    assert (target.state, target.attempts, target.last_outcome) == (
        TargetState.RETRY_WAIT, 1, Outcome.BUSY)
    assert target.next_attempt_at == now + dt.timedelta(seconds=300)
    assert store.snapshot([agent.presence_key], time.time())[agent.presence_key].routable
    assert pacer.count("node:fs1") == 0
    assert load_call(client, prefix, str(attempt.uuid)) is None

    # A replay of the whole stream (a redelivery) changes nothing.
    assert set(_apply_all(results, events, now + dt.timedelta(seconds=5))) <= {
        "already_ended", "ignored", "unknown_call", "job_ok"}
    target.refresh_from_db()
    assert (target.attempts, target.next_attempt_at) == (1, now + dt.timedelta(seconds=300))


def test_target_first_call_answered_and_bridged_is_final_with_its_billsec(world):
    _, pacer, results, _, _ = world
    events = capture_events("24")
    group = make_group()
    agent = make_agent(group)
    campaign = make_campaign(agent_group=group, status="running", mode="target_first")
    target = make_target(campaign, state=TargetState.DIALING)
    attempt = CallAttempt.objects.create(
        id=77, target=target, campaign=campaign, attempt_number=1, agent=agent, node="fs1",
        uuid=uuid.UUID("00000000-0000-4000-8000-000000000024"),
        job_uuid=uuid.UUID(_job_for(events, "+OK")),
    )
    _held_call(world, campaign, attempt, agent)
    now = dt.datetime.now(tz=dt.UTC)

    outcomes = _apply_all(results, events, now)
    assert outcomes.count("answered") >= 1 and "bridged" in outcomes
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.counts_as_attempt) == (Outcome.ANSWERED, True)
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE"
                  and e.get("Unique-ID") == str(attempt.uuid))
    assert attempt.billsec == int(hangup.get("variable_billsec"))
    assert attempt.answered_at is not None and attempt.bridged_at > attempt.answered_at
    assert (target.state, target.attempts) == (TargetState.COMPLETED, 1)
    assert pacer.count(f"campaign:{campaign.id}") == 0


def test_agent_not_registered_marks_the_agent_offline_and_retries_without_counting(world):
    store, _, results, _, _ = world
    events = capture_events("19")
    group = make_group()
    agent = make_agent(group)
    campaign = make_campaign(agent_group=group, status="running", mode="agent_first")
    target = make_target(campaign, state=TargetState.DIALING)
    attempt = CallAttempt.objects.create(
        target=target, campaign=campaign, attempt_number=1, agent=agent, node="fs1",
        uuid=uuid.uuid4(), job_uuid=uuid.UUID(_job_for(events, "-ERR USER_NOT_REGISTERED")),
    )
    _held_call(world, campaign, attempt, agent)
    now = dt.datetime.now(tz=dt.UTC)

    assert "agent_unavailable" in _apply_all(results, events, now)
    attempt.refresh_from_db()
    target.refresh_from_db()
    assert (attempt.outcome, attempt.hangup_cause, attempt.counts_as_attempt) == (
        Outcome.AGENT_UNAVAILABLE, "USER_NOT_REGISTERED", False)
    assert (target.state, target.attempts) == (TargetState.RETRY_WAIT, 0)
    assert target.next_attempt_at == now + dt.timedelta(seconds=1)
    view = store.snapshot([agent.presence_key], time.time())[agent.presence_key]
    assert not view.registered and not view.routable
    assert Target.objects.filter(id=target.id, state=TargetState.RETRY_WAIT).exists()
