"""Presence test world: a store under a fresh key prefix, and event builders."""

from __future__ import annotations

import pytest

from telephony.events import (
    ReachabilityChanged,
    Registered,
    Registration,
    TransportDropped,
    Unregistered,
)
from telephony.presence import PresenceStore

CORE = "7e7311ca-ac7b-41e8-85c6-cb159a57b4df"
NOW = 1_795_746_580.0


@pytest.fixture
def store(redis_client, key_prefix) -> PresenceStore:
    return PresenceStore(redis_client, key_prefix)


def registration(agent="1000@127.0.0.1", call_id="1-32631@127.0.0.1", ip="127.0.0.1",
                 port="5070", transport="tcp", expires_at=NOW + 120, unreachable=False):
    return Registration(agent=agent, call_id=call_id, profile="internal",
                        contact=f'"" <sip:{agent}:5070;transport={transport.upper()}>',
                        network_ip=ip, network_port=port, transport=transport,
                        user_agent="sipp-fixture", expires_at=expires_at, unreachable=unreachable)


def registered(seq, core=CORE, **kwargs):
    return Registered(core, seq, registration(**kwargs))


def unregistered(seq, call_id="1-32631@127.0.0.1", kind="unregister", core=CORE,
                 agent="1000@127.0.0.1"):
    return Unregistered(core, seq, agent, call_id, kind)


def reachability(seq, reachable, call_id="1-32631@127.0.0.1", core=CORE):
    return ReachabilityChanged(core, seq, "1000@127.0.0.1", call_id, reachable)


def dropped(seq, ip="127.0.0.1", port="5070", core=CORE):
    return TransportDropped(core, seq, ip, port)


def online(store, node="fs1", agents=("1000@127.0.0.1",), group="sales", core=CORE, now=NOW):
    """A node that is up and reconciled with nothing on it, and agents in one group."""
    store.node_connected(node, core, now)
    store.reconcile(node, core, [], now)
    store.sync_agents({group: [(agent, 0, True) for agent in agents]}, now)
