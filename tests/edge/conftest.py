"""SIP-edge test world: real Kamailio, SIPp phones, `manage.py listen` following the proxy."""

from __future__ import annotations

import sys
import time

import pytest

from telephony.presence import PresenceStore
from tests.edge.sip import DOMAIN, Kamailio
from tests.processes import Process, process_environment

AGENT_USERS = ("1000", "1001", "1002", "1003")


@pytest.fixture
def store(redis_client, key_prefix) -> PresenceStore:
    return PresenceStore(redis_client, key_prefix)


@pytest.fixture
def started():
    """Every process a test starts, stopped in reverse order at teardown."""
    procs: list[Process] = []
    yield procs
    for proc in reversed(procs):
        proc.stop(grace=5)


@pytest.fixture
def edge_env(transactional_db, key_prefix, redis_url):
    """Agents 1000-1003 in group sales on the proxy's domain; the subprocess environment."""
    from campaigns.models import Agent, AgentGroup

    group = AgentGroup.objects.create(name="sales")
    for user in AGENT_USERS:
        Agent.objects.create(name=f"Agent {user}", sip_user=user, sip_domain=DOMAIN,
                             group=group, wrapup_seconds=0)
    return process_environment(
        redis_url, key_prefix, PRESENCE_NODE_GRACE_SECONDS="3", PRESENCE_RECONCILE_SECONDS="30",
        FREESWITCH_NODES="", SIP_PROXY_DOMAIN=DOMAIN, SIP_PROXY_PING_SECONDS="0.5",
        LOG_LEVEL="INFO",
    )


@pytest.fixture
def kamailio(edge_env, started):
    kam = Kamailio(edge_env)
    started.append(kam)
    return kam


@pytest.fixture
def start_listener(edge_env, kamailio, started):
    """Start `manage.py listen` following `kamailio`; waits until the feed is connected."""

    def start(wait=True, lease=2.0):
        env = {**edge_env, "SIP_PROXIES": kamailio.proxy_spec}
        proc = Process([sys.executable, "manage.py", "listen", "--agent-sync", "0.5",
                        "--owner-lease", str(lease)], env, "listener")
        started.append(proc)
        if wait:
            proc.wait_for(f"proxy kam1 (127.0.0.1:{kamailio.config.evapi_port}) connected")
        return proc

    return start


@pytest.fixture
def listener(start_listener):
    return start_listener()


@pytest.fixture
def routable(store):
    """routable(user) -> bool as of now, read from Redis the way the dispatcher sees it."""
    def check(user="1000"):
        agent = f"{user}@{DOMAIN}"
        return store.snapshot([agent], time.time())[agent].routable
    return check


@pytest.fixture
def phones(request, edge_env, started):
    """phones(user, proxy=..., **kwargs) -> a SIPp phone registering through `proxy` (the
    `kamailio` fixture's instance by default)."""
    from tests.edge.sip import Phone

    def make(user, **kwargs):
        proxy = kwargs.pop("proxy", None) or request.getfixturevalue("kamailio")
        phone = Phone(edge_env, proxy, user, **kwargs)
        started.append(phone)
        return phone

    return make
