"""The agents' live presence, read for a whole page of agents at once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis

from campaigns.models import Agent
from campaigns.services.presence import agent_presence

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
