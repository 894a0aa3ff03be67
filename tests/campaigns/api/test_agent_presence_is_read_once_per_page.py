"""The agent list reads the presence of a whole page in one call, not one call per agent."""

from __future__ import annotations

from campaigns.api import presence
from tests.factories import make_agent


def test_listing_three_agents_asks_the_presence_store_once(as_viewer, agent_group, monkeypatch):
    agents = [make_agent(agent_group) for _ in range(3)]
    calls = []
    real = presence.agent_presence

    def counting(batch):
        batch = list(batch)
        calls.append(sorted(a.pk for a in batch))
        return real(batch)

    monkeypatch.setattr(presence, "agent_presence", counting)

    rows = as_viewer.get("/api/agents/").json()["results"]

    assert calls == [sorted(a.pk for a in agents)]
    assert all(row["presence"]["registered"] is False for row in rows)
