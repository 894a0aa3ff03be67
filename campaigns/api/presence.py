"""The agents' live presence, read for a whole page of agents at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from campaigns.models import Agent
from campaigns.services.presence import agent_presence


def page_presence(agents: Iterable[Agent]) -> dict[int, dict[str, Any]]:
    """Presence by agent id, from the presence store in one round trip."""
    return agent_presence(agents)


def presence_of(agent: Agent, context: dict[str, Any]) -> dict[str, Any] | None:
    """One agent's presence, from the page's batch in the serializer context when there is one."""
    batch = context.get("presence")
    if batch is None:
        batch = page_presence([agent])
    return batch.get(agent.id)
