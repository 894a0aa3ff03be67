"""An agent registered with a SIP proxy is reachable from every node: the reservation takes the
caller's preferred (first usable) node and names the proxy; fail closed when the proxy is not
trusted."""

from __future__ import annotations

from telephony.events import Registered, Registration
from telephony.presence import PresenceStore
from tests.presence.conftest import NOW

BOOT = "1796158253-689687421"
AGENT = "1000@agents.sb.test"


def proxy_store(store):
    return PresenceStore(store.client, store.prefix, proxies=["kam1"])


def registered_on_proxy(store, seq=2, expires=NOW + 120):
    store.node_connected("kam1", BOOT, NOW)
    store.reconcile("kam1", BOOT, [], NOW)
    store.apply("kam1", Registered(BOOT, seq, Registration(
        agent=AGENT, call_id="uloc-6b0f332d-1dea-1", profile="proxy",
        contact="sip:1000@127.0.0.1:5201;transport=tcp", network_ip="127.0.0.1",
        network_port="5201", transport="tcp", user_agent="sipp", expires_at=expires)), NOW)
    store.sync_agents({"sales": [(AGENT, 0, True)]}, NOW)


def test_the_first_usable_node_dials_an_agent_registered_with_the_proxy(store):
    via = proxy_store(store)
    registered_on_proxy(via)
    reservation = via.reserve("sales", ["fs2", "fs1"], NOW + 1, 30)
    assert reservation is not None
    assert (reservation.agent, reservation.node, reservation.via) == (AGENT, "fs2", "kam1")


def test_without_the_proxy_configured_its_registrations_reach_no_node(store):
    registered_on_proxy(store)
    assert store.reserve("sales", ["fs1"], NOW + 1, 30) is None


def test_no_usable_node_means_no_reservation(store):
    via = proxy_store(store)
    registered_on_proxy(via)
    assert via.reserve("sales", [], NOW + 1, 30) is None


def test_a_lost_proxy_is_not_trusted(store):
    via = proxy_store(store)
    registered_on_proxy(via)
    via.node_lost("kam1", NOW + 1, "evapi connection lost")
    assert via.reserve("sales", ["fs1"], NOW + 2, 30) is None


def test_an_expired_proxy_registration_is_not_routable(store):
    via = proxy_store(store)
    registered_on_proxy(via, expires=NOW + 5)
    assert via.reserve("sales", ["fs1"], NOW + 6, 30) is None


def test_a_registration_on_the_node_itself_keeps_its_node_and_no_via(store):
    via = proxy_store(store)
    store.node_connected("fs2", "7e7311ca-ac7b-41e8-85c6-cb159a57b4df", NOW)
    store.reconcile("fs2", "7e7311ca-ac7b-41e8-85c6-cb159a57b4df", [], NOW)
    store.apply("fs2", Registered("7e7311ca-ac7b-41e8-85c6-cb159a57b4df", 5, Registration(
        agent=AGENT, call_id="1-1@127.0.0.1", profile="internal", contact="sip:1000@x",
        network_ip="127.0.0.1", network_port="5070", transport="udp", user_agent="",
        expires_at=NOW + 120)), NOW)
    store.sync_agents({"sales": [(AGENT, 0, True)]}, NOW)
    reservation = via.reserve("sales", ["fs1", "fs2"], NOW + 1, 30)
    assert (reservation.node, reservation.via) == ("fs2", "")


def test_may_free_up_counts_proxy_registrations_on_any_node(store):
    via = proxy_store(store)
    registered_on_proxy(via)
    assert via.may_free_up("sales", "fs1", NOW + 1, NOW + 10)
    assert not store.may_free_up("sales", "fs1", NOW + 1, NOW + 10)
