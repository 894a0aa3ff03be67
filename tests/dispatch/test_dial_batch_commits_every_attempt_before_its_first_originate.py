"""A dial batch records all its attempts in one commit, then pipelines their originates: every
attempt row is committed (visible to another connection) before its `bgapi originate` is written,
each originate carries its own attempt's uuid and Job-UUID, and an ESL failure on the pipelined
send still moves each call to another node on its own without counting it."""

from __future__ import annotations

import re
import threading
import time

import pytest

from campaigns.models import CallAttempt, Node, Outcome, Target, TargetState
from campaigns.services.call_path.dialing import Dialer
from emulator.cluster import Cluster
from telephony.client import CommandPool
from telephony.config import NodeConfig
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from tests.dispatch.e2e_world import ALL_DAYS
from tests.dispatch.world import bring_up
from tests.factories import make_agent, make_campaign, make_group, make_trunk

pytestmark = pytest.mark.integration

UUID = re.compile(r"origination_uuid=([0-9a-f-]{36})")


def _committed(uuids: list[str]) -> int:
    """How many of these attempts another database connection sees (so: committed)."""
    seen: list[int] = []

    def look() -> None:
        from django.db import connection

        try:
            seen.append(CallAttempt.objects.filter(uuid__in=uuids).count())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(10)
    return seen[0]


class SpyingPool:
    """The real pool; before each pipelined send, counts the batch's committed attempts."""

    def __init__(self, pool: CommandPool) -> None:
        self.pool = pool
        self.sends: list[tuple[int, int]] = []  # (commands, attempts committed at that moment)

    def bgapi_many(self, node, commands):
        uuids = [UUID.search(command).group(1) for command, _ in commands]
        self.sends.append((len(uuids), _committed(uuids)))
        return self.pool.bgapi_many(node, commands)

    def __getattr__(self, name):
        return getattr(self.pool, name)


def _world(redis_client, key_prefix, cluster, agents_per_node: int, targets: int,
           cps: int = 1000):
    configs = {}
    for name, port in cluster.ports.items():
        Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                            esl_password="ClueCon", max_cps=cps)
        configs[name] = NodeConfig(name=name, host="127.0.0.1", port=port, password="ClueCon",
                                   max_cps=cps)
    store = PresenceStore(redis_client, key_prefix)
    group = make_group()
    people = {name: [make_agent(group, wrapup_seconds=0) for _ in range(agents_per_node)]
              for name in configs}
    now = time.time()
    store.sync_agents({group.name: [(a.presence_key, 0, True)
                                    for row in people.values() for a in row]}, now)
    for name, row in people.items():
        bring_up(store, name, [a.presence_key for a in row], now)
    campaign = make_campaign(trunk=make_trunk(cps_limit=cps), agent_group=group,
                             status="running", weekdays=ALL_DAYS, daily_start="00:00",
                             daily_end="00:00", calls_per_second=cps)
    ids = [Target.objects.create(campaign=campaign, number=f"+1416777{i:04d}",
                                 state=TargetState.QUEUED).id for i in range(targets)]
    return configs, store, people, ids


def test_every_attempt_is_committed_before_the_batch_originates_reach_the_node(
    transactional_db, redis_client, key_prefix
):
    # Rates out of the way and a long hold, so the whole batch goes out in one pipelined send.
    cluster = Cluster(nodes=1, control_port=None, sps=1_000_000).start()
    configs, store, _, ids = _world(redis_client, key_prefix, cluster, 8, 8, cps=100_000)
    pool = SpyingPool(CommandPool(configs.values()))
    dialer = Dialer(commands=pool, pacer=Pacer(redis_client, key_prefix), presence=store,
                    redis=redis_client, prefix=key_prefix, nodes=configs, hold_seconds=60.0)
    try:
        assert dialer.dial_batch(ids) == {"placed": 8}
        commands = cluster.node("fs1").call("commands", contains="bgapi originate")
    finally:
        pool.close_all()
        cluster.stop()

    # One pipelined send of the whole batch, every row committed before it was written.
    assert pool.sends == [(8, 8)]
    attempts = {str(a.uuid): a for a in CallAttempt.objects.filter(target_id__in=ids)}
    assert len(attempts) == 8 and len(commands) == 8
    last_created = max(a.created_at.timestamp() for a in attempts.values())
    assert min(entry["t"] for entry in commands) >= last_created
    # Each originate carries its own attempt: its uuid, its Job-UUID, its attempt id.
    for entry in commands:
        attempt = attempts[UUID.search(entry["command"]).group(1)]
        assert entry["job_uuid"] == str(attempt.job_uuid)
        assert f"attempt_id={attempt.id}," in entry["command"]
    assert sorted(dialer.placed) == sorted(attempts)


class OnFs1While:
    """The real presence store, but reservations land on fs1 whenever fs1 is usable."""

    def __init__(self, store: PresenceStore) -> None:
        self.store = store

    def reserve(self, group, usable_nodes, now, lease_seconds):
        nodes = ["fs1"] if "fs1" in usable_nodes else usable_nodes
        return self.store.reserve(group, nodes, now, lease_seconds)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_refused_pipelined_send_moves_each_call_to_another_node_without_counting(
    transactional_db, redis_client, key_prefix
):
    cluster = Cluster(nodes=2, control_port=None, sps=1_000_000).start()
    configs, store, people, ids = _world(redis_client, key_prefix, cluster, 3, 3, cps=100_000)
    cluster.node("fs1").call("stop")  # down, but presence has not noticed yet
    pool = CommandPool(configs.values(), connect_timeout=1.0)
    dialer = Dialer(commands=pool, pacer=Pacer(redis_client, key_prefix),
                    presence=OnFs1While(store), redis=redis_client, prefix=key_prefix,
                    nodes=configs, hold_seconds=60.0)
    try:
        assert dialer.dial_batch(ids) == {"placed": 3}
        originates = cluster.node("fs2").call("commands", contains="bgapi originate")
    finally:
        pool.close_all()
        cluster.stop()

    assert len(originates) == 3
    for target_id in ids:
        failed, placed = CallAttempt.objects.filter(target_id=target_id).order_by(
            "attempt_number")
        assert (failed.node, failed.outcome, failed.counts_as_attempt) == (
            "fs1", Outcome.NODE_FAILURE, False)
        assert failed.ended_at is not None
        assert (placed.node, placed.ended_at) == ("fs2", None)
        assert sum(str(placed.uuid) in c["command"] for c in originates) == 1
    assert set(Target.objects.filter(id__in=ids).values_list("state", "attempts")) == {
        (TargetState.DIALING, 0)}
    # The agents reserved for the failed tries are free again; the others are on the calls.
    keys = [a.presence_key for row in people.values() for a in row]
    view = store.snapshot(keys, time.time())
    assert {view[a.presence_key].activity for a in people["fs1"]} == {"idle"}
    assert {view[a.presence_key].activity for a in people["fs2"]} == {"reserved"}
