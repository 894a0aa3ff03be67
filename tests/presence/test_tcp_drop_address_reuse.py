"""Patched TCP drop: a CUSTOM event with only ip:port, mapped back through the address index."""

from tests.presence.conftest import NOW, dropped, online, registered

A, B = "1000@127.0.0.1", "1001@127.0.0.1"


def test_transport_drop_removes_every_registration_from_that_address_only(store):
    online(store, agents=(A, B))
    store.apply("fs1", registered(450, agent=A, call_id="a@h", port="5070"), NOW)
    store.apply("fs1", registered(451, agent=B, call_id="b@h", port="5071"), NOW)

    assert store.apply("fs1", dropped(460, port="5070"), NOW + 1) == 1

    views = store.snapshot([A, B], NOW + 1)
    assert (views[A].routable, views[B].routable) == (False, True)


def test_new_registration_from_the_same_address_survives_a_late_drop_about_the_old_one(store):
    online(store)
    store.apply("fs1", registered(450, call_id="old@h"), NOW)
    store.apply("fs1", dropped(455), NOW + 1)
    store.apply("fs1", registered(470, call_id="new@h"), NOW + 2)

    # the drop of the OLD connection (sequence 455) is delivered again, late
    assert store.apply("fs1", dropped(455), NOW + 3) == 0

    view = store.snapshot([A], NOW + 3)[A]
    assert view.routable is True
    assert [r.call_id for r in view.registrations] == ["new@h"]


def test_drop_from_an_address_on_another_node_changes_nothing(store):
    online(store)
    online(store, node="fs2")
    store.apply("fs1", registered(450), NOW)

    assert store.apply("fs2", dropped(460), NOW + 1) == 0

    assert store.snapshot([A], NOW + 1)[A].routable is True


def test_reconcile_does_not_bring_back_a_dropped_connection_the_patched_node_still_lists(store):
    from tests.presence.conftest import CORE, registration
    online(store)
    store.apply("fs1", registered(450, call_id="old@h"), NOW)
    store.apply("fs1", dropped(455), NOW + 1)
    still_listed = registration(call_id="old@h", expires_at=NOW + 100)

    assert store.reconcile("fs1", CORE, [still_listed], NOW + 2) == (0, 0)
    assert store.snapshot([A], NOW + 2)[A].routable is False

    # the phone reconnects (a new source port) and re-registers on the same call-id
    reconnected = registration(call_id="old@h", port="5099", expires_at=NOW + 200)
    assert store.reconcile("fs1", CORE, [reconnected], NOW + 3) == (1, 0)
    assert store.snapshot([A], NOW + 3)[A].routable is True
