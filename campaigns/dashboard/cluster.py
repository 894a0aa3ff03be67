"""The cluster half of the system dashboard: nodes, their load, agents per node, the listener.

It reads the presence store (what the listener learnt from each node's events and HEARTBEATs)
for every configured node and every enabled agent: two Redis pipelines and one query, whatever
the number of calls or targets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache

from campaigns.models import Agent
from campaigns.services.call_path.nodes import configured_nodes
from campaigns.services.floor.presence import store as presence_store
from campaigns.services.reporting.pipeline import consumer_state

CACHE_SECONDS = 1
# A listener that has not touched a node's status for this long is reported as silent:
# FreeSWITCH sends a HEARTBEAT every 20 s by default, so a gap of a minute is news.
SILENT_AFTER_SECONDS = 60.0


def listener_owners(names: list[str]) -> dict[str, str | None]:
    """Which listener process (host:pid:id) holds each node's ownership lease, if any.

    The key is the one telephony.listener writes; campaigns may not import workers, so the
    format is repeated here and covered by the demo's end-to-end test.
    """
    client = presence_store().client
    keys = [f"{settings.REDIS_KEY_PREFIX}:listener:owner:{name}" for name in names]
    values = client.mget(keys) if keys else []
    return {
        name: (value.decode() if isinstance(value, bytes) else value)
        for name, value in zip(names, values, strict=True)
    }


def _listener_state(
    statuses: dict[str, Any], owners: dict[str, str | None], now: float
) -> dict[str, Any]:
    """Summarise the listeners: every node owned and fresh, some, or none."""
    names = list(owners)
    owned = sum(1 for owner in owners.values() if owner)
    seen = [s.last_seen for s in statuses.values() if s.last_seen]
    ago = round(now - max(seen), 1) if seen else None
    if not owned:
        state = "absent"
    elif ago is None or ago >= SILENT_AFTER_SECONDS:
        state = "silent"
    else:
        state = "running" if owned == len(names) else "partial"
    return {
        "state": state,
        "owners": sorted({owner for owner in owners.values() if owner}),
        "nodes_owned": owned,
        "last_seen_seconds_ago": ago,
        "nodes_up": sum(1 for name in names if name in statuses and statuses[name].up),
        "nodes": len(names),
    }


def compute_cluster_snapshot(now: dt.datetime) -> dict[str, Any]:
    """Every configured node (never its password) with its state, load and agents."""
    epoch = now.timestamp()
    store = presence_store()
    nodes = configured_nodes()
    statuses = store.node_statuses()
    agents = [
        f"{user}@{domain}"
        for user, domain in Agent.objects.filter(enabled=True).values_list(
            "sip_user", "sip_domain"
        )
    ]
    presence = store.snapshot(agents, epoch)
    online: dict[str, int] = {}
    available: dict[str, int] = {}
    for agent in presence.values():
        for node in {r.node for r in agent.registrations if r.trusted and not r.unreachable}:
            online[node] = online.get(node, 0) + 1
            if agent.routable:
                available[node] = available.get(node, 0) + 1
    owners = listener_owners([node.name for node in nodes])
    rows = []
    for node in nodes:
        status = store.node_status(node.name) if node.name not in statuses else statuses[node.name]
        rows.append({
            "name": node.name,
            "address": f"{node.host}:{node.port}",
            "state": status.state,
            "lost_reason": status.lost_reason,
            "sessions": status.session_count,
            "max_sessions": status.max_sessions or node.max_sessions,
            "cps": status.session_per_sec_last,
            "max_cps": node.max_cps,
            "idle_cpu": status.idle_cpu,
            "last_heartbeat_seconds_ago": (
                round(epoch - status.last_heartbeat, 1) if status.last_heartbeat else None
            ),
            # No event or HEARTBEAT from the node through the listener for a minute: silent.
            "last_event_seconds_ago": (
                round(epoch - status.last_seen, 1) if status.last_seen else None
            ),
            "silent": status.last_seen is None or epoch - status.last_seen >= SILENT_AFTER_SECONDS,
            "listener": owners.get(node.name),
            "agents_online": online.get(node.name, 0),
            "agents_available": available.get(node.name, 0),
        })
    return {
        "nodes": rows,
        "agents": {
            "enabled": len(agents),
            "registered": sum(1 for a in presence.values() if a.registered),
            "available": sum(1 for a in presence.values() if a.routable),
            "on_call": sum(1 for a in presence.values() if a.activity in ("ringing", "on_call")),
        },
        "listener": _listener_state(statuses, owners, epoch),
        "results_consumer": consumer_state(store.client, settings.REDIS_KEY_PREFIX),
        "proxies": _proxy_rows(statuses, online, available, epoch),
    }


def _proxy_rows(statuses: dict[str, Any], online: dict[str, int], available: dict[str, int],
                epoch: float) -> list[dict[str, Any]]:
    """Each SIP proxy (docs/sip-edge.md): its feed's state and the agents registered there."""
    proxies = list(settings.SIP_PROXIES)
    owners = listener_owners([proxy.name for proxy in proxies])
    rows = []
    for proxy in proxies:
        status = statuses.get(proxy.name)
        last_seen = status.last_seen if status else None
        rows.append({
            "name": proxy.name,
            "address": f"{proxy.host}:{proxy.sip_port}",
            "state": status.state if status else "unknown",
            "lost_reason": status.lost_reason if status else "",
            "boot": status.core if status else "",
            "last_event_seconds_ago": round(epoch - last_seen, 1) if last_seen else None,
            "listener": owners.get(proxy.name),
            "agents_online": online.get(proxy.name, 0),
            "agents_available": available.get(proxy.name, 0),
        })
    return rows


def group_agents(group_id: int, now: dt.datetime) -> dict[str, int]:
    """How many of one agent group's agents are registered, available and on a call now."""
    key = f"dashboard:group:{group_id}"
    value = cache.get(key)
    if value is None:
        agents = [
            f"{user}@{domain}"
            for user, domain in Agent.objects.filter(group_id=group_id, enabled=True)
            .values_list("sip_user", "sip_domain")
        ]
        presence = presence_store().snapshot(agents, now.timestamp())
        value = {
            "enabled": len(agents),
            "registered": sum(1 for a in presence.values() if a.registered),
            "available": sum(1 for a in presence.values() if a.routable),
            "on_call": sum(1 for a in presence.values() if a.activity in ("ringing", "on_call")),
        }
        cache.set(key, value, CACHE_SECONDS)
    return value


def cluster_snapshot(now: dt.datetime) -> dict[str, Any]:
    """The cluster figures, computed at most once per CACHE_SECONDS."""
    value = cache.get("dashboard:cluster")
    if value is None:
        value = compute_cluster_snapshot(now)
        cache.set("dashboard:cluster", value, CACHE_SECONDS)
    return value
