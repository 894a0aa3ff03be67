"""An ESL failure before the node took the originate (connection refused) moves the dial to
another healthy node: one call placed, the failed try recorded but not counted as an attempt.
"""

from __future__ import annotations

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


class FirstTryOn:
    """The real presence store, but the first reservation is made on one given node."""

    def __init__(self, store: PresenceStore, node: str) -> None:
        self.store, self.node, self.first = store, node, True

    def reserve(self, group, usable_nodes, now, lease_seconds):
        nodes = [self.node] if self.first else usable_nodes
        self.first = False
        return self.store.reserve(group, nodes, now, lease_seconds)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_refused_connection_moves_the_dial_to_another_node_without_counting(
    transactional_db, redis_client, key_prefix
):
    cluster = Cluster(nodes=2, control_port=None, sps=1000).start()
    configs = {}
    for name, port in cluster.ports.items():
        Node.objects.create(name=name, esl_host="127.0.0.1", esl_port=port,
                            esl_password="ClueCon", max_cps=1000)
        configs[name] = NodeConfig(name=name, host="127.0.0.1", port=port, password="ClueCon",
                                   max_cps=1000)
    cluster.node("fs1").call("stop")  # down, but presence has not noticed yet
    store = PresenceStore(redis_client, key_prefix)
    group = make_group()
    on_fs1, on_fs2 = make_agent(group, wrapup_seconds=0), make_agent(group, wrapup_seconds=0)
    now = time.time()
    store.sync_agents({group.name: [(a.presence_key, 0, True) for a in (on_fs1, on_fs2)]}, now)
    bring_up(store, "fs1", [on_fs1.presence_key], now)
    bring_up(store, "fs2", [on_fs2.presence_key], now)
    campaign = make_campaign(trunk=make_trunk(cps_limit=100), agent_group=group,
                             status="running", weekdays=ALL_DAYS, daily_start="00:00",
                             daily_end="00:00", calls_per_second=100)
    target = Target.objects.create(campaign=campaign, number="+14165550100",
                                   state=TargetState.QUEUED)
    pool = CommandPool(configs.values(), connect_timeout=1.0)
    dialer = Dialer(commands=pool, pacer=Pacer(redis_client, key_prefix),
                    presence=FirstTryOn(store, "fs1"), redis=redis_client, prefix=key_prefix,
                    nodes=configs)
    try:
        assert dialer.dial_one(target.id) == "placed"
    finally:
        pool.close_all()
        originates = [c for c in cluster.node("fs2").call("commands", contains="originate")]
        cluster.stop()

    failed, placed = CallAttempt.objects.filter(target=target).order_by("attempt_number")
    assert (failed.node, failed.outcome, failed.counts_as_attempt) == (
        "fs1", Outcome.NODE_FAILURE, False)
    assert failed.ended_at is not None
    assert (placed.node, placed.ended_at, placed.agent_id) == ("fs2", None, on_fs2.id)
    assert len(originates) == 1 and str(placed.uuid) in originates[0]["command"]
    target.refresh_from_db()
    assert (target.state, target.attempts) == (TargetState.DIALING, 0)
    # The agent reserved for the failed try is free again; the other one is on the call.
    view = store.snapshot([on_fs1.presence_key, on_fs2.presence_key], time.time())
    assert view[on_fs1.presence_key].activity == "idle"
    assert view[on_fs2.presence_key].activity == "reserved"
