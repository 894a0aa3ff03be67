"""The system snapshot shows each node's state, load and agents online/available per node."""

import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaigns.dashboard.cluster import compute_cluster_snapshot, presence_store
from campaigns.models import Agent, AgentGroup
from telephony.config import NodeConfig
from telephony.events import Heartbeat, Registration

pytestmark = pytest.mark.django_db

ESL_PASSWORD = "esl-secret-never-shown"


@pytest.fixture
def cluster(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = tuple(
        NodeConfig(name, "127.0.0.1", port, ESL_PASSWORD, max_sessions=100)
        for name, port in (("fs1", 18021), ("fs2", 18022), ("fs3", 18023))
    )
    group = AgentGroup.objects.create(name="sales")
    for user in ("1001", "1002", "1003"):
        Agent.objects.create(name=f"Agent {user}", sip_user=user, sip_domain="demo.local",
                             group=group)
    now = time.time()
    store = presence_store()
    store.sync_agents(
        {"sales": [(f"{u}@demo.local", 5, True) for u in ("1001", "1002", "1003")]}, now
    )

    def reg(agent, call_id, port):
        return Registration(agent=agent, call_id=call_id, profile="internal",
                            contact=f"sip:{agent}", network_ip="127.0.0.1",
                            network_port=str(port), transport="tcp", user_agent="softphone",
                            expires_at=now + 300)

    store.node_connected("fs1", "core-1", now)
    store.reconcile("fs1", "core-1", [reg("1001@demo.local", "c1", 5001),
                                      reg("1002@demo.local", "c2", 5002)], now)
    store.node_connected("fs2", "core-2", now)
    store.reconcile("fs2", "core-2", [reg("1002@demo.local", "c3", 5003)], now)
    store.node_heartbeat("fs1", Heartbeat("core-1", 9, {"session_count": "7",
                                                        "session_per_sec_last": "3"}), now)
    store.set_intent("1002@demo.local", "paused", "lunch", "test", now)
    for node in ("fs1", "fs2"):
        store.client.set(f"{key_prefix}:listener:owner:{node}", "host-a:42:abcd", px=10_000)
    yield store
    cache.delete("dashboard:cluster")
    cache.delete("dashboard:system")


def test_nodes_show_state_load_and_agents_per_node(cluster):
    snap = compute_cluster_snapshot(timezone.now())
    by_name = {row["name"]: row for row in snap["nodes"]}
    assert [row["name"] for row in snap["nodes"]] == ["fs1", "fs2", "fs3"]
    assert (by_name["fs1"]["state"], by_name["fs2"]["state"], by_name["fs3"]["state"]) == (
        "up", "up", "unknown"
    )
    assert by_name["fs1"]["sessions"] == 7
    assert by_name["fs1"]["cps"] == 3
    assert by_name["fs1"]["max_sessions"] == 100
    # 1001 and 1002 are on fs1, but 1002 is paused; 1002 is also on fs2; 1003 is nowhere.
    assert (by_name["fs1"]["agents_online"], by_name["fs1"]["agents_available"]) == (2, 1)
    assert (by_name["fs2"]["agents_online"], by_name["fs2"]["agents_available"]) == (1, 0)
    assert (by_name["fs3"]["agents_online"], by_name["fs3"]["agents_available"]) == (0, 0)
    assert snap["agents"] == {"enabled": 3, "registered": 2, "available": 1, "on_call": 0}
    # fs3 has no listener holding its lease: the listeners cover only part of the cluster.
    assert snap["listener"] == {
        "state": "partial", "owners": ["host-a:42:abcd"], "nodes_owned": 2,
        "last_seen_seconds_ago": snap["listener"]["last_seen_seconds_ago"],
        "nodes_up": 2, "nodes": 3,
    }
    assert by_name["fs1"]["listener"] == "host-a:42:abcd"
    assert by_name["fs3"]["listener"] is None


def test_without_any_lease_the_listener_is_reported_absent(cluster, key_prefix):
    for node in ("fs1", "fs2"):
        cluster.client.delete(f"{key_prefix}:listener:owner:{node}")
    snap = compute_cluster_snapshot(timezone.now())
    assert snap["listener"]["state"] == "absent"
    assert snap["listener"]["owners"] == []


def test_a_lost_node_shows_as_lost_and_its_agents_as_offline(cluster):
    cluster.node_lost("fs1", time.time(), "heartbeat stopped")
    snap = compute_cluster_snapshot(timezone.now())
    fs1 = next(row for row in snap["nodes"] if row["name"] == "fs1")
    assert fs1["state"] == "lost"
    assert fs1["lost_reason"] == "heartbeat stopped"
    assert (fs1["agents_online"], fs1["agents_available"]) == (0, 0)


def test_system_json_carries_the_cluster_and_never_an_esl_password(
    client, cluster, django_user_model
):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(user)
    cache.delete("dashboard:cluster")
    response = client.get("/dashboard/data/system.json")
    assert response.status_code == 200
    assert ESL_PASSWORD not in response.content.decode()
    body = response.json()
    assert [n["address"] for n in body["cluster"]["nodes"]] == [
        "127.0.0.1:18021", "127.0.0.1:18022", "127.0.0.1:18023"
    ]


def test_campaign_json_counts_its_groups_agents(client, cluster, django_user_model):
    from campaigns.models import AgentGroup, Campaign, Trunk

    group = AgentGroup.objects.get(name="sales")
    campaign = Campaign.objects.create(
        name="c", trunk=Trunk.objects.create(name="t", gateway="t"), agent_group=group
    )
    client.force_login(django_user_model.objects.create_user("v", password="x", is_staff=True))
    cache.delete(f"dashboard:group:{group.pk}")
    cache.delete(f"dashboard:campaign:{campaign.pk}")
    body = client.get(f"/dashboard/data/campaigns/{campaign.pk}.json").json()
    # 1001 registered and available; 1002 registered but paused; 1003 not registered.
    assert body["agents"] == {"enabled": 3, "registered": 2, "available": 1, "on_call": 0}
    cache.delete(f"dashboard:group:{group.pk}")
    cache.delete(f"dashboard:campaign:{campaign.pk}")
