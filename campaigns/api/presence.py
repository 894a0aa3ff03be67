"""The agents' live presence, read for a whole page of agents at once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis

from campaigns.models import Agent
from campaigns.services.floor.presence import agent_presence

log = logging.getLogger(__name__)


def page_presence(agents: Iterable[Agent]) -> dict[int, dict[str, Any]]:
    """Presence by agent id, from the presence store in one round trip; {} if it is down."""
    try:
        return agent_presence(agents)
    except redis.RedisError as exc:
        # The agent list stays usable without Redis; presence shows null (unknown = offline).
        log.warning("presence store unavailable for the agent list: %s", type(exc).__name__)
        return {}


def presence_of(agent: Agent, context: dict[str, Any]) -> dict[str, Any] | None:
    """One agent's presence, from the page's batch in the serializer context when there is one."""
    batch = context.get("presence")
    if batch is None:
        batch = page_presence([agent])
    return batch.get(agent.id)


# What the nodes endpoint shows of a node's live state (the dashboard's cluster snapshot).
NODE_LIVE_FIELDS = (
    "state", "lost_reason", "sessions", "max_sessions", "cps", "last_heartbeat_seconds_ago",
    "listener", "agents_online", "agents_available",
)


def node_live_states() -> dict[str, dict[str, Any]]:
    """Each configured node's live state by name (cached a second or two); {} if Redis is down."""
    from django.utils import timezone

    from campaigns.dashboard.cluster import cluster_snapshot

    try:
        rows = cluster_snapshot(timezone.now())["nodes"]
    except redis.RedisError as exc:
        log.warning("presence store unavailable for the node list: %s", type(exc).__name__)
        return {}
    return {row["name"]: {field: row.get(field) for field in NODE_LIVE_FIELDS} for row in rows}
