"""A small floor: a campaign, a group of agents in the presence store, live calls in Redis."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from campaigns.models import Agent
from campaigns.services.floor.presence import store as presence_store
from campaigns.services.floor.presence import sync_agents
from campaigns.services.floor.snapshot import live_calls
from telephony.events import Registration
from telephony.floor import LiveCall
from tests import factories


@pytest.fixture
def floor(db, settings, key_prefix):
    """Three agents of one group; 1001 and 1002 registered on fs1, 1003 offline."""
    settings.REDIS_KEY_PREFIX = key_prefix
    forget_floor_cache()
    group = factories.make_group(name="sales")
    campaign = factories.make_campaign(agent_group=group, name="Spring", timezone="UTC")
    agents = [factories.make_agent(group, name=f"Agent {u}", sip_user=u, sip_domain="demo.local")
              for u in ("1001", "1002", "1003")]
    now = time.time()
    sync_agents(now)
    store = presence_store()
    store.node_connected("fs1", "core-1", now)
    store.reconcile("fs1", "core-1", [
        Registration(agent=f"{u}@demo.local", call_id=f"c{u}", profile="internal",
                     contact=f"sip:{u}@127.0.0.1", network_ip="127.0.0.1",
                     network_port=str(5000 + int(u[-1])), transport="tcp",
                     user_agent="Zoiper 5", expires_at=now + 300)
        for u in ("1001", "1002")], now)
    yield {"campaign": campaign, "group": group, "agents": agents, "store": store}
    forget_floor_cache(campaign)


def forget_floor_cache(campaign=None) -> None:
    """Drop the floor snapshots (never cache.clear(): the cache is Redis, it would flush it)."""
    cache.delete_many(["floor:system", "floor:today:all", "floor:system:refresh"])
    if campaign is not None:
        cache.delete_many([f"floor:{campaign.pk}", f"floor:today:{campaign.agent_group_id}"])


def place_call(campaign, agent: Agent, target, attempt, state: str = "ringing",
               started: float | None = None) -> LiveCall:
    """Write a live call the way the dialer does (telephony.floor) and mark the agent."""
    started = time.time() if started is None else started
    call = LiveCall(uuid=str(attempt.uuid), number=target.number, extension=target.extension,
                    campaign_id=campaign.id, campaign=campaign.name, target_id=target.id,
                    attempt_id=attempt.id, node="fs1", agent=agent.presence_key, state=state,
                    started_at=started, state_at=started)
    live_calls().add(call)
    return call
