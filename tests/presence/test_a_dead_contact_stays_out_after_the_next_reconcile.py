"""D2 of the lab report: a contact that answered 503 (dead, capture 27 and the lab's s2/d2b) is
kept and marked unreachable rather than dropped, so the node's listing, which still holds it,
does not bring it back routable when the agent's delay has passed. Only a newer REGISTER (a
later expiry, or a new Call-ID) or an OPTIONS answer clears the mark."""

from dataclasses import replace

from telephony.events import Registered
from tests.presence.conftest import CORE, NOW, online, reachability, registered, registration

AGENT = "1000@127.0.0.1"
OTHER = "1001@127.0.0.1"
CID = "1-11313@127.0.0.1"
ROW = registration(call_id=CID, expires_at=NOW + 86400)
LIVE = registration(agent=OTHER, call_id="1-11314@127.0.0.1", port="5071", expires_at=NOW + 86400)


def _dead_after_a_503(store):
    online(store, agents=(AGENT, OTHER))
    store.apply("fs1", registered(10, call_id=CID, expires_at=NOW + 86400), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)
    assert held is not None and held.agent == AGENT
    store.apply("fs1", Registered(CORE, 11, LIVE), NOW)
    # charge_agent for Penalty.UNREACHABLE: release into reject_delay (10 s), mark the rows.
    assert store.release_agent_unreachable(held.token, "fs1", NOW + 1, 10) is True
    return held


def _view(store, now):
    return store.snapshot([AGENT], now)[AGENT]


def test_a_dead_contact_dropped_after_a_503_stays_out_after_the_next_reconcile(store):
    _dead_after_a_503(store)
    view = _view(store, NOW + 2)
    assert view.routable is False
    assert [(r.call_id, r.unreachable) for r in view.registrations] == [(CID, True)]
    # The node still lists the dead contact; the periodic reconcile runs twice, past the delay.
    store.reconcile("fs1", CORE, [ROW, LIVE], NOW + 30)
    store.reconcile("fs1", CORE, [ROW, LIVE], NOW + 90)
    view = _view(store, NOW + 91)
    assert view.routable is False, view
    assert [r.unreachable for r in view.registrations] == [True]
    # Longest idle or not, the live agent is the one reserved.
    assert store.reserve("sales", ["fs1"], NOW + 91, 30).agent == OTHER


def test_the_delay_is_a_wrapup_and_the_agent_is_idle_again_after_it(store, redis_client):
    _dead_after_a_503(store)
    agent = redis_client.hgetall(f"{store.base}:agent:{AGENT}")
    assert agent[b"activity"] == b"wrapup" and float(agent[b"wrapup_until"]) == NOW + 11


def test_a_refresh_with_a_later_expiry_clears_the_mark(store):
    _dead_after_a_503(store)
    # A REGISTER we saw.
    store.apply("fs1", Registered(CORE, 20, replace(ROW, expires_at=NOW + 86460)), NOW + 60)
    assert _view(store, NOW + 60).routable is True


def test_a_refresh_only_the_listing_shows_clears_the_mark(store):
    _dead_after_a_503(store)
    store.reconcile("fs1", CORE, [replace(ROW, expires_at=NOW + 86460)], NOW + 60)
    assert _view(store, NOW + 60).routable is True


def test_a_new_call_id_from_the_same_phone_replaces_the_dead_row(store):
    _dead_after_a_503(store)
    store.apply("fs1", registered(30, call_id="2-777@127.0.0.1", expires_at=NOW + 86400),
                NOW + 60)
    view = _view(store, NOW + 60)
    assert view.routable is True
    assert [r.call_id for r in view.registrations] == ["2-777@127.0.0.1"]


def test_an_options_answer_clears_the_mark(store):
    _dead_after_a_503(store)
    assert store.apply("fs1", reachability(40, True, call_id=CID), NOW + 60) == 1
    assert _view(store, NOW + 60).routable is True


def test_user_not_registered_still_drops_the_rows(store):
    online(store)
    store.apply("fs1", registered(10, call_id=CID), NOW)
    held = store.reserve("sales", ["fs1"], NOW, 30)
    assert store.release_agent_unregistered(held.token, "fs1", NOW + 1) is True
    assert _view(store, NOW + 1).registrations == ()
