"""A campaign whose stored trunk or caller ID fails the grammar pauses with the reason; its
targets go back untouched (no attempt, no failure), instead of failing at full dial speed."""

from __future__ import annotations

import time

import pytest

from campaigns.models import CallAttempt, Campaign, CampaignEvent, Node, Target, TargetState, Trunk
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
                                     state=TargetState.QUEUED) for i in range(4)]
    pool = CommandPool([config])
    dialer = Dialer(commands=pool, pacer=Pacer(redis_client, key_prefix), presence=store,
                    redis=redis_client, prefix=key_prefix, nodes={"fs1": config})
    yield cluster, campaign, targets, dialer
    pool.close_all()
    cluster.stop()


@pytest.mark.parametrize(
    ("model", "change", "reason"),
    [
        (Trunk, {"gateway": "gw' &park()"}, "configuration error: trunk gateway: gateway name "
         "may contain only letters, digits, . _ - and must start with a letter or digit"),
        (Campaign, {"caller_id_number": "+1415\n5550100"}, "configuration error: caller ID "
         "number: caller ID number may contain only digits and a leading +"),
        (Trunk, {"caller_id_name": "Acme}{x"}, "configuration error: caller ID name: caller ID "
         "name may contain only letters, digits, . _ - and single spaces between words"),
    ],
)
def test_a_stored_invalid_setting_pauses_the_campaign_and_leaves_the_targets(
    setup, model, change, reason
):
    cluster, campaign, targets, dialer = setup
    row = campaign.trunk if model is Trunk else campaign
    model.objects.filter(pk=row.pk).update(**change)  # written around validation

    tally = dialer.dial_batch([t.id for t in targets])

    # The first call finds the problem and pauses; the rest of the batch sees a paused campaign.
    assert tally == {"misconfigured": 1, "not_running": 3}
    assert not cluster.node("fs1").call("commands", contains="bgapi originate")
    assert not CallAttempt.objects.exists()
    assert set(Target.objects.values_list("state", "attempts", "last_outcome")) == {
        (TargetState.PENDING, 0, "")
    }
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    events = CampaignEvent.objects.filter(campaign=campaign)
    assert list(events.values_list("to_status", "reason")) == [("paused", reason)]


def test_a_valid_campaign_dials(setup):
    cluster, _campaign, targets, dialer = setup

    assert dialer.dial_one(targets[0].id) == "placed"
