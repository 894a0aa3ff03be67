"""Presence from a real Kamailio: SIPp phones register over TCP through it, the listener follows
its evapi feed and reconciles with ul.dump, and routability follows what Kamailio holds."""

from __future__ import annotations

import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def test_register_makes_the_agent_routable_and_kill_9_unroutable(
        kamailio, listener, phones, routable, store):
    assert routable("1000") is False
    phone = phones("1000")
    wait_until(routable, timeout=15, what="1000 routable after REGISTER")
    (reg,) = store.snapshot(["1000@agents.sb.test"], time.time())["1000@agents.sb.test"] \
        .registrations
    assert reg.node == "kam1" and reg.call_id.startswith("uloc-") and reg.transport == "tcp"

    phone.kill9()
    wait_until(lambda: not routable("1000"), timeout=10, what="unroutable after kill -9")
    assert kamailio.contacts() == {}


def test_expires_zero_unregisters_the_agent(kamailio, listener, phones, routable):
    phones("1001", hold_ms=1500, unreg=True)
    wait_until(lambda: routable("1001"), timeout=15, what="registered")
    wait_until(lambda: not routable("1001"), timeout=15, what="unregistered by Expires: 0")


def test_a_new_call_id_on_the_same_contact_is_a_refresh_of_the_same_ruid(
        kamailio, listener, phones, routable, store):
    first = phones("1002")
    wait_until(lambda: routable("1002"), timeout=15, what="first phone registered")
    agent = "1002@agents.sb.test"
    (before,) = store.snapshot([agent], time.time())[agent].registrations
    second = phones("1002", contact_port=first.port)  # same Contact URI, new Call-ID and socket
    wait_until(lambda: kamailio.contacts().get("1002", [{}])[0].get("Tcpconn-Id")
               and kamailio.contacts()["1002"][0]["Received"].endswith(f":{second.port};"
                                                                         "transport=tcp"),
               timeout=15, what="second phone's REGISTER")
    first.kill9()  # the old connection dies: the contact is no longer bound to it
    time.sleep(1.0)
    view = store.snapshot([agent], time.time())[agent]
    assert view.routable, "the refreshed contact must survive the old connection's death"
    assert [r.call_id for r in view.registrations] == [before.call_id]
    second.kill9()
    wait_until(lambda: not routable("1002"), timeout=10, what="gone with the second socket")


def test_a_kamailio_restart_is_untrusted_at_once_and_the_phone_counts_after_it_registers_again(
        edge_env, kamailio, listener, phones, routable, store, started):
    phone = phones("1000")
    wait_until(routable, timeout=15, what="registered")
    old_boot = store.node_status("kam1").core

    kamailio.stop(grace=5)
    wait_until(lambda: not routable(), timeout=10, what="unroutable while the proxy is down")
    assert store.node_status("kam1").state == "lost"
    phone.stop(grace=1)

    from tests.edge.sip import Kamailio
    again = Kamailio(edge_env, ports=kamailio.ports, workdir=kamailio.workdir)
    started.append(again)
    wait_until(lambda: store.node_status("kam1").core not in ("", old_boot)
               and store.node_status("kam1").state == "up", timeout=30, what="new boot followed")
    assert routable() is False  # the location table starts empty
    phones("1000")
    wait_until(routable, timeout=15, what="routable after registering again")


def test_events_missed_while_the_listener_is_down_are_recovered_by_the_reconcile(
        kamailio, start_listener, phones, routable):
    first = start_listener()
    keep = phones("1000")
    gone = phones("1001")
    wait_until(lambda: routable("1000") and routable("1001"), timeout=15, what="both registered")

    first.stop(grace=5)
    gone.kill9()  # evapi drops this tcp-closed: no client is connected
    phones("1002")  # and this register
    wait_until(lambda: "1002" in kamailio.contacts() and "1001" not in kamailio.contacts(),
               timeout=10, what="Kamailio holds the changes")

    start_listener()
    wait_until(lambda: routable("1002"), timeout=15, what="new registration recovered")
    assert routable("1001") is False
    assert routable("1000") is True
    assert keep.alive


def test_an_unreachable_proxy_is_never_trusted(edge_env, kamailio, start_listener, routable,
                                               store):
    kamailio.stop(grace=5)
    start_listener(wait=False)
    wait_until(lambda: store.node_status("kam1").state == "lost", timeout=15,
               what="proxy declared lost")
    assert routable("1000") is False


def test_a_seq_jump_makes_the_listener_reconcile(kamailio, listener, phones, routable):
    import socket

    phones("1000")
    wait_until(routable, timeout=15, what="registered")
    # Another evapi client's hello takes a sequence number the listener never sees.
    other = socket.create_connection(("127.0.0.1", kamailio.config.evapi_port), timeout=5)
    try:
        other.recv(4096)
        phones("1001")
        wait_until(lambda: routable("1001"), timeout=15, what="1001 registered")
        wait_until(lambda: "seq jumped" in listener.log(), timeout=10, what="the gap noticed")
    finally:
        other.close()
    assert routable("1000") and routable("1001")


def test_the_rpc_password_never_reaches_the_log(edge_env, kamailio, started, routable):
    import sys

    from tests.processes import Process

    env = {**edge_env, "SIP_PROXIES": kamailio.proxy_spec,
           "SIP_PROXY_RPC_PASSWORD": "s3cret-rpc-pw", "LOG_LEVEL": "DEBUG"}
    proc = Process([sys.executable, "manage.py", "listen", "--agent-sync", "0.5"], env,
                   "listener")
    started.append(proc)
    proc.wait_for("proxy kam1 (127.0.0.1:")
    kamailio.stop(grace=5)
    wait_until(lambda: "node kam1 lost" in proc.log(), timeout=15, what="the loss logged")
    assert "s3cret-rpc-pw" not in proc.log()


def test_an_expired_registration_is_unroutable_before_kamailios_late_expire_event(
        edge_env, started, phones, store):
    import sys

    from tests.edge.sip import Kamailio
    from tests.processes import Process

    kam = Kamailio(edge_env, min_expires=4)
    started.append(kam)
    proc = Process([sys.executable, "manage.py", "listen", "--agent-sync", "0.5"],
                   {**edge_env, "SIP_PROXIES": kam.proxy_spec}, "listener")
    started.append(proc)
    proc.wait_for("proxy kam1 (127.0.0.1:")
    agent = "1003@agents.sb.test"

    def routable():
        return store.snapshot([agent], time.time())[agent].routable

    phones("1003", proxy=kam, expires=4)  # no refresh; the TCP connection stays open
    registered_at = wait_until(lambda: routable() and time.time(), timeout=15, what="routable")
    unroutable_at = wait_until(lambda: not routable() and time.time(), timeout=15,
                               what="expired")
    assert unroutable_at - registered_at < 4 + 2  # the local rule: no event needed
    # usrloc's timer (every 10 s) removes it later and says so; nothing comes back
    wait_until(lambda: "1003" not in kam.contacts(), timeout=20, what="Kamailio expired it")
    assert not routable()


def test_a_standby_listener_takes_the_proxy_over(kamailio, start_listener, phones, routable,
                                                 store):
    import signal as sig

    first = start_listener()
    second = start_listener(wait=False)
    phones("1000")
    wait_until(routable, timeout=15, what="registered")
    owner_key = f"{store.prefix}:listener:owner:kam1"
    owner = store.client.get(owner_key)
    first.signal(sig.SIGKILL)
    wait_until(lambda: store.client.get(owner_key) not in (None, owner), timeout=20,
               what="the standby holds the lease")
    second.wait_for(f"proxy kam1 (127.0.0.1:{kamailio.config.evapi_port}) connected")
    phones("1001")
    wait_until(lambda: routable("1001"), timeout=15, what="followed by the standby")
    assert routable("1000")
