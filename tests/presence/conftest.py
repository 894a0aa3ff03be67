"""Presence test world: a store under a fresh key prefix, and event builders."""

from __future__ import annotations

import itertools
import os
import sys
import time
import uuid
from types import SimpleNamespace

import pytest
import redis

from telephony.events import (
    ReachabilityChanged,
    Registered,
    Registration,
    TransportDropped,
    Unregistered,
)
from telephony.presence import PresenceStore
from tests.presence.processes import Emulator
from tests.processes import Process, process_environment, stop_all

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


# -- real processes: the emulator and the listener -------------------------------------------


AGENT_USERS = ("1000", "1001", "1002")


@pytest.fixture
def listener_env(transactional_db, key_prefix, redis_url):
    """Subprocess environment: the test database, this run's Redis, the test's key prefix."""
    from campaigns.models import Agent, AgentGroup

    group = AgentGroup.objects.create(name="sales")
    for user in AGENT_USERS:
        Agent.objects.create(name=f"Agent {user}", sip_user=user, sip_domain="127.0.0.1",
                             group=group, wrapup_seconds=0)
    return process_environment(
        redis_url, key_prefix, PRESENCE_NODE_GRACE_SECONDS="2", PRESENCE_RECONCILE_SECONDS="30",
        FREESWITCH_PASSWORD="ClueCon", LOG_LEVEL="INFO",
    )


@pytest.fixture
def started():
    """Every process a test starts, stopped in reverse order at teardown."""
    procs = []
    yield procs
    stop_all(procs)


@pytest.fixture
def emulator(listener_env, started):
    emu = Emulator(listener_env, extra=("--heartbeat", "0.5", "--sweep", "1"))
    started.append(emu)
    return emu


@pytest.fixture
def start_listener(listener_env, emulator, started):
    """Start `manage.py listen` against the emulator; waits until every node is connected."""

    def start(env=None, wait=True, lease=2.0):
        full = {**listener_env, "FREESWITCH_NODES": emulator.node_list, **(env or {})}
        proc = Process([sys.executable, "manage.py", "listen", "--agent-sync", "0.5",
                        "--owner-lease", str(lease)], full, "listener")
        started.append(proc)
        if wait:
            for name in emulator.ports:
                proc.wait_for(f"node {name} (127.0.0.1:{emulator.ports[name]}) connected")
        return proc

    return start


@pytest.fixture
def listener(start_listener):
    return start_listener()


@pytest.fixture
def routable(store):
    """routable(agent) -> bool as of now, read from Redis the way the dispatcher sees it."""
    def check(agent="1000@127.0.0.1"):
        return store.snapshot([agent], time.time())[agent].routable
    return check


# -- one emulator and one listener shared by the tests that do not disturb the nodes ----------


_users = itertools.count(3000)


@pytest.fixture
def user():
    """A SIP user no other test in this run registers."""
    return str(next(_users))


@pytest.fixture(scope="session")
def cluster(django_db_setup, django_db_blocker):
    """Emulator (2 nodes) + `manage.py listen` for the session, under their own key prefix.

    Tests using it register their own users and restore any node setting they change. The
    listener reconciles every 0.5 s. Agents are not in the database, so tests read the
    *registered* axis (what the listener maintains), not routability.
    """
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    prefix = f"sbtest:{uuid.uuid4().hex[:12]}"
    env = process_environment(
        redis_url, prefix, PRESENCE_NODE_GRACE_SECONDS="5", PRESENCE_RECONCILE_SECONDS="0.5",
        FREESWITCH_PASSWORD="ClueCon",
    )
    procs = []
    client = redis.Redis.from_url(redis_url)
    try:
        emu = Emulator(env, extra=("--heartbeat", "0.5", "--sweep", "1"))
        procs.append(emu)
        env["FREESWITCH_NODES"] = emu.node_list
        lis = Process([sys.executable, "manage.py", "listen", "--agent-sync", "5"], env,
                      "listener")
        procs.append(lis)
        for name, port in emu.ports.items():
            lis.wait_for(f"node {name} (127.0.0.1:{port}) connected")
        store = PresenceStore(client, prefix)

        def registered(agent):
            return store.snapshot([agent], time.time())[agent].registered

        yield SimpleNamespace(emulator=emu, listener=lis, store=store, prefix=prefix,
                  registered=registered)
    finally:
        stop_all(procs)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()
