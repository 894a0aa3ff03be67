"""A redelivered dial task places no second call (STYLE rule 15: the guard, and its control).

The pair: a real Celery worker receives the same `dial_batch` twice (as a Redis broker does after
a visibility timeout) and the emulated node sees one originate per target; the control runs the
same dial twice in-process with the queued->dialing compare-and-set switched off and the node
sees two, so the race the guard closes is real.
"""

from __future__ import annotations

import ast
import re
import time

import pytest

from campaigns.models import CallAttempt, Node, Target, TargetState
from emulator.cluster import Cluster
from telephony.client import CommandPool
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from tests.dispatch.e2e_world import wait_for
from tests.dispatch.world import bring_up
from tests.factories import make_agent, make_group
from workers.celery import DIAL_BATCH, app

pytestmark = pytest.mark.integration


@pytest.fixture
def node(transactional_db):
    cluster = Cluster(nodes=1, control_port=None, sps=1000).start()
    row = Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=cluster.ports["fs1"],
                              esl_password="ClueCon", max_cps=1000)
    yield cluster, row
    cluster.stop()


def _setup(cluster, redis_client, key_prefix, targets: int, agents: int):
    from tests.dispatch.e2e_world import ALL_DAYS
    from tests.factories import make_campaign, make_trunk

    store = PresenceStore(redis_client, key_prefix)
    group = make_group()
    people = [make_agent(group, wrapup_seconds=0) for _ in range(agents)]
    store.sync_agents({group.name: [(a.presence_key, 0, True) for a in people]}, time.time())
    bring_up(store, "fs1", [a.presence_key for a in people], time.time())
    campaign = make_campaign(
        trunk=make_trunk(cps_limit=1000), agent_group=group, status="running",
        weekdays=ALL_DAYS, daily_start="00:00", daily_end="00:00", calls_per_second=1000,
    )
    ids = [Target.objects.create(campaign=campaign, number=f"+1415200{i:04d}",
                                 state=TargetState.QUEUED).id for i in range(targets)]
    return store, ids


def _originates(cluster) -> list[str]:
    return [c["command"] for c in cluster.node("fs1").call("commands", contains="originate")]


def test_redelivered_dial_batch_places_no_second_call(node, redis_client, key_prefix,
                                                      celery_worker_factory):
    cluster, _ = node
    _, ids = _setup(cluster, redis_client, key_prefix, targets=5, agents=5)
    worker = celery_worker_factory(queues=("dial",), concurrency=2)
    app.signature(DIAL_BATCH, args=(ids, None)).apply_async()
    app.signature(DIAL_BATCH, args=(ids, None)).apply_async()  # the redelivery

    wait_for(lambda: worker.log().count(f"Task {DIAL_BATCH}[") >= 4, 30,
             "both deliveries to run", worker.log)
    assert len(_originates(cluster)) == 5
    assert CallAttempt.objects.filter(target_id__in=ids).count() == 5
    assert set(Target.objects.filter(id__in=ids).values_list("state", flat=True)) == {
        TargetState.DIALING}
    # The two deliveries ran at once (concurrency 2): between them, 5 placed and 5 skipped.
    tallies = [ast.literal_eval(m) for m in re.findall(r"succeeded in [0-9.]+s: (\{.*\})",
                                                        worker.log())]
    assert sum(t.get("placed", 0) for t in tallies) == 5
    assert sum(t.get("skipped", 0) for t in tallies) == 5


def test_control_without_the_compare_and_set_a_redelivery_dials_twice(node, redis_client,
                                                                     key_prefix, settings):
    from campaigns.services.call_path.dialing import Dialer

    cluster, row = node
    store, ids = _setup(cluster, redis_client, key_prefix, targets=1, agents=2)
    pool = CommandPool([_config(row)])
    dialer = Dialer(commands=pool, pacer=Pacer(redis_client, key_prefix), presence=store,
                    redis=redis_client, prefix=key_prefix, nodes={"fs1": _config(row)},
                    guard=False)
    try:
        assert dialer.dial_one(ids[0]) == "placed"
        second = dialer.dial_one(ids[0])
    finally:
        pool.close_all()
    # With the guard off the second delivery takes the second agent and calls the same target
    # again while its first call is live: the race the compare-and-set closes.
    assert second == "placed"
    assert len(_originates(cluster)) == 2


def _config(row: Node):
    from telephony.config import NodeConfig

    return NodeConfig(name=row.name, host=row.esl_host, port=row.esl_port,
                      password=row.esl_password, max_cps=row.max_cps)
