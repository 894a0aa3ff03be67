"""D1 of the lab report: after a restart, only the rows presence held under the previous run are
stale; a Call-ID first listed by the new run is trusted when the listener followed the old run to
its end (a shutdown notice, or EOF after a reconcile), since only a REGISTER to the new process
can have made it. Replayed from the lab's real FreeSWITCH 1.10.12 captures of s11."""

from dataclasses import replace

from telephony.events import Registered, TcpDropFormat, normalise
from telephony.stream import SHUTDOWN_NOTICE
from tests.presence.captures import events, server_frames
from tests.presence.conftest import CORE, NOW, online, registration

AGENTS = ("1000@127.0.0.1", "1001@127.0.0.1", "1002@127.0.0.1")
NEW_CORE = "230fcd35-cfc3-453d-92de-4740e767d148"  # the capture's new run
BEFORE = "lab/lab-s11-restart-keep-regs.esl.txt"
AFTER = "lab/lab-s11-restart-keep-regs-after.esl.txt"


def _old_run(store, now):
    """1000-1002 registered over TCP under the old run, each from its own port."""
    online(store, agents=AGENTS, now=now)
    rows = []
    for n, agent in enumerate(AGENTS):
        row = registration(agent=agent, call_id=f"1-1136{n}@127.0.0.1", port=str(5100 + n),
                           expires_at=now + 86400)
        store.apply("fs1", Registered(CORE, 10 + n, row), now)
        rows.append(row)
    return rows


def _registers_after(now):
    """The sofia::register events of the new run (new Call-IDs), in order."""
    out = [p for e in events(AFTER) if isinstance(p := normalise(e, TcpDropFormat(), now),
                                                  Registered)]
    assert [p.registration.call_id for p in out] == [
        "1-1087@127.0.0.1", "1-1117@127.0.0.1", "1-3550@127.0.0.1"]
    assert {p.core for p in out} == {NEW_CORE}
    return out


def _state(store, now):
    views = store.snapshot(list(AGENTS), now)
    return {a: (views[a].routable, [r.stale for r in views[a].registrations]) for a in AGENTS}


def test_the_capture_ends_the_old_run_with_the_shutdown_notice_the_listener_recognises():
    notices = [f.text() for f in server_frames(BEFORE)
               if f.content_type == "text/disconnect-notice"]
    assert notices and SHUTDOWN_NOTICE in notices[0]


def test_phones_that_registered_before_the_listener_came_back_are_routable_the_leftover_is_not(
        store):
    rows = _old_run(store, NOW)
    # The listener followed the old run to its shutdown notice.
    assert store.node_ended("fs1", CORE) is True
    store.node_lost("fs1", NOW + 1, "shutdown notice")
    # 1000 and 1001 registered again with new Call-IDs while the listener was away; the new run
    # still lists 1002's row from the old one (never registered again) and the old 1000/1001
    # rows are gone (same contact, replaced).
    later = NOW + 40
    fresh = _registers_after(later)
    listing = [fresh[0].registration, fresh[1].registration, rows[2]]
    assert store.node_connected("fs1", NEW_CORE, later) is True
    store.reconcile("fs1", NEW_CORE, listing, later)
    assert _state(store, later) == {
        AGENTS[0]: (True, [False]), AGENTS[1]: (True, [False]), AGENTS[2]: (False, [True])}
    assert store.stale_registrations("fs1") == ["1-11362@127.0.0.1"]
    # Later reconciles of this run keep the judgement.
    store.reconcile("fs1", NEW_CORE, listing, later + 60)
    assert _state(store, later + 60)[AGENTS[2]] == (False, [True])
    assert store.reserve("sales", ["fs1"], later + 60, 30).agent in AGENTS[:2]


def test_without_the_end_of_the_old_run_every_tcp_row_waits_for_a_register(store):
    rows = _old_run(store, NOW)
    # No shutdown notice seen (the listener was down, or lost the node silently).
    store.node_lost("fs1", NOW + 1, "grace period")
    later = NOW + 40
    fresh = _registers_after(later)
    listing = [fresh[0].registration, fresh[1].registration, rows[2]]
    store.node_connected("fs1", NEW_CORE, later)
    store.reconcile("fs1", NEW_CORE, listing, later)
    assert {a: s[0] for a, s in _state(store, later).items()} == dict.fromkeys(AGENTS, False)
    # The third REGISTER of the capture (1000 again, live) proves that phone.
    store.apply("fs1", fresh[2], later + 1)
    assert _state(store, later + 1)[AGENTS[0]][0] is True


def test_a_row_held_under_the_old_run_is_stale_even_when_the_old_run_was_followed(store):
    rows = _old_run(store, NOW)
    store.node_ended("fs1", CORE)
    later = NOW + 40
    store.node_connected("fs1", NEW_CORE, later)
    store.reconcile("fs1", NEW_CORE, rows, later)
    assert {a: s for a, s in _state(store, later).items()} == dict.fromkeys(
        AGENTS, (False, [True]))
    # Same Call-ID registered again after the restart: the listed expiry moved on.
    store.reconcile("fs1", NEW_CORE, [replace(rows[0], expires_at=NOW + 86430), *rows[1:]],
                    later + 60)
    assert _state(store, later + 60)[AGENTS[0]] == (True, [False])


def test_an_end_seen_before_a_reconcile_or_under_another_core_is_not_followed(store):
    store.node_connected("fs1", CORE, NOW)  # connected, never reconciled: not following
    assert store.node_ended("fs1", CORE) is False
    store.reconcile("fs1", CORE, [], NOW)
    assert store.node_ended("fs1", "another-core") is False
    # Followed once, then reconnected to the same run: that end no longer counts.
    assert store.node_ended("fs1", CORE) is True
    store.node_connected("fs1", CORE, NOW + 1)
    store.reconcile("fs1", CORE, [], NOW + 1)
    store.sync_agents({"sales": [(AGENTS[0], 0, True)]}, NOW + 1)
    store.node_connected("fs1", NEW_CORE, NOW + 30)
    store.reconcile("fs1", NEW_CORE, [registration(call_id="9-new@127.0.0.1",
                                                   expires_at=NOW + 3600)], NOW + 30)
    assert _state(store, NOW + 30)[AGENTS[0]] == (False, [True])
