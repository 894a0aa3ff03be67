"""The emulator sends agent legs for a proxy to the real Kamailio: a leg succeeds only when
Kamailio holds a contact for the agent (the SIPp phone answers over its own connection), and
fails with the proxy's cause otherwise (480 + Q.850 cause 20 -> SUBSCRIBER_ABSENT, 404 ->
UNALLOCATED_NUMBER)."""

from __future__ import annotations

import signal

import pytest

from telephony.config import NodeConfig
from telephony.connection import ESLConnection
from telephony.dialstring import render_proxy_leg
from telephony.edge_config import EdgeNode
from tests.edge.sip import Kamailio
from tests.presence.processes import Emulator, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(edge_env, started):
    kam = Kamailio(edge_env, nodes=(EdgeNode("fs1", "127.0.0.1", 5080),))
    started.append(kam)
    return kam


@pytest.fixture
def esl(edge_env, proxy, started):
    emu = Emulator(edge_env, nodes=1,
                   extra=("--sip-proxy", f"127.0.0.1:{proxy.config.sip_port}"))
    started.append(emu)
    conn = ESLConnection.for_node(NodeConfig("fs1", "127.0.0.1", emu.ports["fs1"], "ClueCon"),
                                  timeout=20)
    conn.connect()
    yield conn
    conn.close()


def originate(esl, proxy, user):
    leg = render_proxy_leg("internal", user, "127.0.0.1", proxy.config.sip_port)
    return esl.api(f"originate {{ignore_early_media=true,originate_timeout=15}}{leg} &park()")


def test_a_registered_agent_answers_through_the_proxy(esl, proxy, phones):
    phones("1000", proxy=proxy)
    wait_until(lambda: "1000" in proxy.contacts(), timeout=15, what="1000 registered")
    assert originate(esl, proxy, "1000").startswith("+OK ")


def test_an_agent_the_proxy_holds_no_contact_for_is_subscriber_absent(esl, proxy):
    assert originate(esl, proxy, "1001").strip() == "-ERR SUBSCRIBER_ABSENT"


def test_an_unknown_agent_is_unallocated(esl, proxy):
    assert originate(esl, proxy, "2000").strip() == "-ERR UNALLOCATED_NUMBER"


def test_a_killed_phone_is_subscriber_absent_at_once(esl, proxy, phones):
    phone = phones("1002", proxy=proxy)
    wait_until(lambda: "1002" in proxy.contacts(), timeout=15, what="1002 registered")
    phone.kill9()
    wait_until(lambda: "1002" not in proxy.contacts(), timeout=10, what="contact removed")
    assert originate(esl, proxy, "1002").strip() == "-ERR SUBSCRIBER_ABSENT"


def test_a_frozen_phone_times_out_with_the_proxys_408(esl, proxy, phones):
    phone = phones("1003", proxy=proxy)
    wait_until(lambda: "1003" in proxy.contacts(), timeout=15, what="1003 registered")
    phone.signal(signal.SIGSTOP)  # the connection stays open; nothing answers (capture 09a)
    try:
        assert originate(esl, proxy, "1003").strip() == "-ERR RECOVERY_ON_TIMER_EXPIRE"
    finally:
        phone.kill9()
