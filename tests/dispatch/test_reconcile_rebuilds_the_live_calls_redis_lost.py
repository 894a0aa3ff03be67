"""After Redis lost its data (restarted empty, or flushed) while a call was up, reconcile puts
back what the dialer had booked for it from the node's channel list: its place in the live-call
sets, its call record, its floor entry and its agent's on-call hold, so the agent is not routable
while on the call and the hangup gives everything back exactly once. Until a reconcile has done
that for a node, the tick gives the node no room (fail closed).

Real Redis (only this test's key prefix is deleted, never the shared database) and real
PostgreSQL; the channel list is `show channels as json` as FreeSWITCH prints it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

from campaigns.models import CallAttempt, Outcome, Target, TargetState
from campaigns.services.call_path import dispatch
from campaigns.services.call_path.outcomes import ANSWERED
from campaigns.services.call_path.results import Results
from campaigns.services.call_path.results_reconcile import live_uuids, reconcile_node
from telephony.call_records import load_call
from telephony.events import Registration
from telephony.floor import LiveCalls
from telephony.pacing import Pacer
from tests.dispatch.captured_calls import call_world
from tests.dispatch.world import add_targets, running_campaign

pytestmark = pytest.mark.integration

CALL = "5d3c3a2e-8f0e-4b57-9c55-0d6f6b1c2a11"


def _lose_redis(redis_client, prefix: str) -> None:
    """What a Redis restart without persistence does to this test's keys: all gone."""
    for key in list(redis_client.scan_iter(match=f"{prefix}:*", count=1000)):
        redis_client.delete(key)


def _presence_back(world, now: float) -> None:
    """What the presence side rebuilds by itself: agents synced, the node's registrations."""
    group = world.campaign.agent_group.name
    world.store.sync_agents({group: [(a.presence_key, 0, True)
                                     for a in world.agents.values()]}, now)
    core = str(uuid.uuid4())
    world.store.node_connected("fs1", core, now)
    world.store.reconcile("fs1", core, [
        Registration(agent=a.presence_key, call_id=f"{a.sip_user}-again@fs1", profile="internal",
                     contact=f"<sip:{a.presence_key}>", network_ip="127.0.0.1",
                     network_port=str(5000 + i), transport="udp", user_agent="test",
                     expires_at=now + 3600)
        for i, a in enumerate(world.agents.values())], now)


def _channels(*uuids: str) -> set[str]:
    return live_uuids(json.dumps({"row_count": len(uuids),
                                  "rows": [{"uuid": u, "state": "CS_EXCHANGE_MEDIA"}
                                           for u in uuids]}))


def _activity_changes(world, agent: str) -> list[str]:
    entries = world.redis.xrange(f"{world.prefix}:presence:changes")
    return [fields[b"detail"].decode() for _, fields in entries
            if fields[b"kind"] == b"activity" and fields[b"agent"].decode() == agent]


def test_a_live_call_is_rebuilt_after_redis_lost_it_and_its_hangup_releases_once(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    campaign = world.setup()
    target, attempt = world.call("1000", CALL)
    answered = dt.datetime.now(tz=dt.UTC)
    CallAttempt.objects.filter(id=attempt.id).update(answered_at=answered, bridged_at=answered)
    scopes = ("trunk:1", "node:fs1", f"campaign:{campaign.id}")
    agent = world.agents["1000"].presence_key

    _lose_redis(redis_client, key_prefix)
    now = time.time()
    _presence_back(world, now)
    # The loss is real: nothing counts the call and its agent looks free for a second call.
    assert {s: world.pacer.count(s) for s in ("node:fs1", f"campaign:{campaign.id}")} == {
        "node:fs1": 0, f"campaign:{campaign.id}": 0}
    assert world.routable("1000") is True
    assert world.pacer.rebuilt(["fs1"]) == set()

    later = dt.datetime.now(tz=dt.UTC)
    assert reconcile_node(world.results, "fs1", _channels(CALL, str(uuid.uuid4())), later) == 0

    assert CallAttempt.objects.get(id=attempt.id).ended_at is None  # live: never ended
    assert {s: world.pacer.members(s) for s in (f"trunk:{campaign.trunk_id}", "node:fs1",
                                                 f"campaign:{campaign.id}")} == {
        f"trunk:{campaign.trunk_id}": {CALL}, "node:fs1": {CALL},
        f"campaign:{campaign.id}": {CALL}}
    record = load_call(redis_client, key_prefix, CALL)
    assert record is not None
    assert (record.attempt_id, record.node, record.agent, record.mode) == (
        attempt.id, "fs1", agent, campaign.mode)
    assert record.token.endswith(f":{agent}")
    view = world.store.snapshot([agent], time.time())[agent]
    assert (view.activity, view.routable) == ("on_call", False)
    assert world.routable("1001") is True  # the other agent is untouched
    floor = LiveCalls(redis_client, key_prefix).for_agents([agent])
    assert (floor[agent].uuid, floor[agent].state, floor[agent].attempt_id) == (
        CALL, "connected", attempt.id)
    assert world.pacer.rebuilt(["fs1"]) == {"fs1"}

    # Idempotent: the next round (every 15 s) changes nothing.
    reconcile_node(world.results, "fs1", _channels(CALL), dt.datetime.now(tz=dt.UTC))
    assert load_call(redis_client, key_prefix, CALL) == record
    assert world.pacer.count("node:fs1") == 1
    assert _activity_changes(world, agent) == ["on_call"]

    # The presence sync that follows a flush keeps the agent on its call.
    world.store.sync_agents({campaign.agent_group.name: [
        (a.presence_key, 0, True) for a in world.agents.values()]}, time.time())
    assert world.routable("1000") is False

    # The hangup gives everything back, once.
    ended = dt.datetime.now(tz=dt.UTC)
    assert world.results.finish(CallAttempt.objects.get(id=attempt.id), "NORMAL_CLEARING",
                                ANSWERED, ended, billsec=10) == Outcome.ANSWERED
    assert load_call(redis_client, key_prefix, CALL) is None
    assert {s: world.pacer.count(s) for s in scopes[1:]} == {s: 0 for s in scopes[1:]}
    assert LiveCalls(redis_client, key_prefix).count() == 0
    assert _activity_changes(world, agent) == ["on_call", "idle"]
    assert world.routable("1000") is True
    assert Target.objects.get(id=target.id).state == TargetState.COMPLETED

    # The agent's next call must not be released by anything left of the first one.
    taken = [world.store.reserve(campaign.agent_group.name, ["fs1"], time.time(), 60)
             for _ in range(2)]
    assert agent in {r.agent for r in taken if r}
    assert world.results.finish(CallAttempt.objects.get(id=attempt.id), "NORMAL_CLEARING",
                                ANSWERED, ended, billsec=10) == "already_ended"
    reconcile_node(world.results, "fs1", _channels(CALL), dt.datetime.now(tz=dt.UTC))
    assert world.store.release(record.token, time.time(), 0) is False
    assert load_call(redis_client, key_prefix, CALL) is None
    assert world.pacer.count("node:fs1") == 0
    assert _activity_changes(world, agent) == ["on_call", "idle", "reserved"]


def test_an_agent_reserved_before_the_rebuild_is_not_taken_from_its_new_call(
        transactional_db, redis_client, key_prefix):
    world = call_world(redis_client, key_prefix)
    campaign = world.setup()
    world.call("1000", CALL)
    _lose_redis(redis_client, key_prefix)
    _presence_back(world, time.time())
    agent = world.agents["1000"].presence_key
    taken = [world.store.reserve(campaign.agent_group.name, ["fs1"], time.time(), 60)
             for _ in range(2)]
    assert {r.agent for r in taken if r} == {agent, world.agents["1001"].presence_key}

    reconcile_node(world.results, "fs1", _channels(CALL), dt.datetime.now(tz=dt.UTC))

    # The call is counted again, but the agent stays with the reservation it now has.
    assert world.pacer.count("node:fs1") == 1
    mine = next(r for r in taken if r and r.agent == agent)
    assert world.store.release(mine.token, time.time(), 0) is True


def test_the_tick_gives_no_room_to_a_node_whose_live_calls_were_not_rebuilt(
        db, dispatch_settings, presence_store, redis_client, key_prefix,
        django_capture_on_commit_callbacks):
    now = dt.datetime.now(tz=dt.UTC)
    campaign = running_campaign(presence_store, now, agents=3)
    ids = add_targets(campaign, 5)
    redis_client.delete(*redis_client.keys(f"{key_prefix}:live:rebuilt:*"))  # as after a flush

    def tick():
        with django_capture_on_commit_callbacks(execute=True):
            return dispatch.tick(now, lambda ids, node: None)

    report = tick()
    assert report.claimed == {}
    assert report.budgets[campaign.id].node_room == 0
    assert set(Target.objects.filter(id__in=ids).values_list("state", flat=True)) == {
        TargetState.PENDING}

    (name,) = [n.name for n in dispatch.configured_nodes()]
    results = Results(presence=presence_store, pacer=Pacer(redis_client, key_prefix),
                      redis=redis_client, prefix=key_prefix)
    reconcile_node(results, name, _channels(), now)  # the node lists no channel: nothing to add
    assert tick().claimed[campaign.id] == ids[:3]
