"""The cluster half of the system dashboard: nodes, their load, agents and the listener."""

from __future__ import annotations

import datetime as dt
from typing import Any

from campaigns.services.nodes import configured_nodes


def cluster_snapshot(now: dt.datetime) -> dict[str, Any]:
    """Return every configured node (never its password) with what is known of its state."""
    nodes = [
        {
            "name": node.name,
            "address": f"{node.host}:{node.port}",
            "max_sessions": node.max_sessions,
            "max_cps": node.max_cps,
            "state": "unknown",
            "sessions": None,
            "agents_online": None,
            "agents_available": None,
        }
        for node in configured_nodes()
    ]
    return {"nodes": nodes, "listener": {"state": "unknown"}}
