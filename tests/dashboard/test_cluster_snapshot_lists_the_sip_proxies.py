"""The system snapshot lists each SIP proxy with its feed's state and the agents registered there
(docs/sip-edge.md); without proxies the list is empty."""

import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaigns.dashboard.cluster import compute_cluster_snapshot, presence_store
from campaigns.models import Agent, AgentGroup
from telephony.config import ProxyConfig
from telephony.evapi import DumpedContact
from telephony.events import Registration
from telephony.presence_proxy import ProxyPresence

pytestmark = pytest.mark.django_db

BOOT = "1796158253-689687421"


@pytest.fixture
def proxied(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = ()
    settings.SIP_PROXIES = (ProxyConfig("kam1", "10.0.0.2", rpc_password="rpc-secret-never"),)
    group = AgentGroup.objects.create(name="sales")
    for user in ("1001", "1002"):
        Agent.objects.create(name=f"Agent {user}", sip_user=user, sip_domain="agents.sb.test",
                             group=group)
    now = time.time()
    store = presence_store()
    store.sync_agents({"sales": [(f"{u}@agents.sb.test", 0, True) for u in ("1001", "1002")]},
                      now)
    proxy = ProxyPresence(store)
    proxy.connected("kam1", BOOT, now)
    proxy.reconcile("kam1", BOOT, [DumpedContact(Registration(
        agent="1001@agents.sb.test", call_id="uloc-1", profile="proxy", contact="sip:1001@x",
        network_ip="127.0.0.1", network_port="5201", transport="tcp", user_agent="",
        expires_at=now + 120), "call-1")], now)
    store.node_seen("kam1", now, 45)
    yield store
    cache.delete("dashboard:cluster")
    cache.delete("dashboard:system")


def test_each_proxy_shows_its_state_and_agents(proxied):
    snap = compute_cluster_snapshot(timezone.now())
    (row,) = snap["proxies"]
    assert row["name"] == "kam1" and row["address"] == "10.0.0.2:5060"
    assert row["state"] == "up" and row["boot"] == BOOT
    assert (row["agents_online"], row["agents_available"]) == (1, 1)
    assert "rpc-secret-never" not in str(snap)


def test_no_proxies_no_rows(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.SIP_PROXIES = ()
    assert compute_cluster_snapshot(timezone.now())["proxies"] == []
