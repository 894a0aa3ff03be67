"""A node as the listener leaves it after its first reconcile, for tests, benchmarks and the demo.

The world the end-to-end tests build with the real listener (node connected, registrations
reconciled, live calls rebuilt), written straight into Redis when the listener itself is not what
is measured. One copy, so a new invariant of the tick (a node gets no room until its live calls
were rebuilt after a Redis loss) reaches every bench and test that builds a world this way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from telephony.events import Registration
from telephony.pacing import Pacer
from telephony.presence import PresenceStore


def bring_up(store: PresenceStore, node: str, agents: Sequence[str], now: float, *,
             transport: str = "udp", lifetime: float = 30 * 86_400) -> None:
    """Mark a node up (connected, reconciled, its live calls rebuilt) with `agents` registered."""
    core = str(uuid.uuid4())
    store.node_connected(node, core, now)
    rows = [
        Registration(agent=a, call_id=f"{uuid.uuid4().hex}@{node}", profile="internal",
                     contact=f"<sip:{a}>", network_ip="127.0.0.1",
                     network_port=str(5000 + i % 60_000), transport=transport,
                     user_agent="staging", expires_at=now + lifetime)
        for i, a in enumerate(agents)
    ]
    store.reconcile(node, core, rows, now)
    Pacer(store.client, store.prefix).mark_rebuilt(node, now)


def routable_agents(store: PresenceStore, group: str, agents: Sequence[str],
                    nodes: Sequence[str], now: float) -> None:
    """Every agent of `group` enabled and idle, registered on one of `nodes` in turn."""
    store.sync_agents({group: [(a, 0, True) for a in agents]}, now)
    for i, node in enumerate(nodes):
        bring_up(store, node, agents[i::len(nodes)], now)
