"""Campaign controls act at once: a paused campaign places no new call (its claimed targets go back
to pending), a cancelled one cancels them, and a call still in progress when the campaign is
cancelled finishes without scheduling a retry.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.models import CallAttempt, Node, Target, TargetState
from campaigns.services import lifecycle
from campaigns.services.call_path.dialing import Dialer
from campaigns.services.call_path.outcomes import classify
from campaigns.services.call_path.results import Results
from emulator.cluster import Cluster
from telephony.client import CommandPool
from telephony.config import NodeConfig
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from tests.dispatch.e2e_world import ALL_DAYS
from tests.dispatch.world import bring_up
from tests.factories import make_agent, make_campaign, make_group, make_trunk

pytestmark = pytest.mark.integration


@pytest.fixture
def setup(transactional_db, redis_client, key_prefix):
    cluster = Cluster(nodes=1, control_port=None, sps=1000).start()
    port = cluster.ports["fs1"]
    Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=port, esl_password="ClueCon")
    config = NodeConfig(name="fs1", host="127.0.0.1", port=port, password="ClueCon")
    store = PresenceStore(redis_client, key_prefix)
    group = make_group()
    agent = make_agent(group, wrapup_seconds=0)
    store.sync_agents({group.name: [(agent.presence_key, 0, True)]}, time.time())
    bring_up(store, "fs1", [agent.presence_key], time.time())
    campaign = make_campaign(trunk=make_trunk(cps_limit=100), agent_group=group,
                             status="running", weekdays=ALL_DAYS, daily_start="00:00",
                             daily_end="00:00", calls_per_second=100)
    targets = [Target.objects.create(campaign=campaign, number=f"+1416555{i:04d}",
                                     state=TargetState.QUEUED) for i in range(3)]
    pool = CommandPool([config])
    pacer = Pacer(redis_client, key_prefix)
    dialer = Dialer(commands=pool, pacer=pacer, presence=store, redis=redis_client,
                    prefix=key_prefix, nodes={"fs1": config})
    results = Results(presence=store, pacer=pacer, redis=redis_client, prefix=key_prefix)
    yield cluster, campaign, targets, dialer, results, store, agent
    pool.close_all()
    cluster.stop()


def _originates(cluster) -> int:
    return len(cluster.node("fs1").call("commands", contains="bgapi originate"))


def test_pause_stops_new_dials_at_once_and_hands_the_targets_back(setup):
    cluster, campaign, targets, dialer, _, store, agent = setup
    lifecycle.pause(campaign, reason="test")
    assert dialer.dial_batch([t.id for t in targets]) == {"not_running": 3}
    assert _originates(cluster) == 0
    assert not CallAttempt.objects.exists()
    assert set(Target.objects.values_list("state", "attempts")) == {(TargetState.PENDING, 0)}
    assert store.snapshot([agent.presence_key], time.time())[agent.presence_key].routable


def test_cancel_stops_new_dials_and_a_call_in_progress_ends_without_a_retry(setup):
    cluster, campaign, targets, dialer, results, _, _ = setup
    assert dialer.dial_one(targets[0].id) == "placed"
    lifecycle.cancel(campaign, reason="test")
    assert dialer.dial_batch([t.id for t in targets[1:]]) == {"cancelled": 2}
    assert _originates(cluster) == 1

    # The call placed before the cancel ends busy: no retry is scheduled.
    attempt = CallAttempt.objects.get(target=targets[0])
    results.finish(attempt, "USER_BUSY", classify("USER_BUSY"), dt.datetime.now(tz=dt.UTC),
                   billsec=0)
    states = dict(Target.objects.values_list("id", "state"))
    assert states == {t.id: TargetState.CANCELLED for t in targets}
    assert Target.objects.get(id=targets[0].id).next_attempt_at is None
