from telephony.events import Heartbeat
from tests.presence.conftest import CORE, NOW, online, registered, registration

AGENT = "1000@127.0.0.1"
NEW_CORE = "952e7fe7-a4eb-470d-9d9a-2877b3ddb0dc"


def test_new_core_uuid_on_connect_invalidates_everything_held_for_the_node(store, redis_client):
    online(store)
    store.apply("fs1", registered(450), NOW)

    assert store.node_connected("fs1", NEW_CORE, NOW + 10) is True

    assert store.snapshot([AGENT], NOW + 10)[AGENT].routable is False
    assert store.node_status("fs1").core == NEW_CORE
    kinds = [e[b"kind"] for _, e in redis_client.xrange(store.changes_key)]
    assert kinds[-1] == b"node_restart"

    # the restarted node lists no registration: the old one is removed for good
    assert store.reconcile("fs1", NEW_CORE, [], NOW + 11) == (0, 1)
    assert store.snapshot([AGENT], NOW + 11)[AGENT].registrations == ()


def test_heartbeat_with_a_new_core_uuid_reveals_a_missed_restart(store):
    online(store)
    store.apply("fs1", registered(450), NOW)
    beat = Heartbeat(NEW_CORE, 421, {"session_count": "0", "max_sessions": "1000"})

    assert store.node_heartbeat("fs1", beat, NOW + 20) is True

    assert store.snapshot([AGENT], NOW + 20)[AGENT].routable is False
    store.reconcile("fs1", NEW_CORE, [registration(expires_at=NOW + 300)], NOW + 21)
    assert store.snapshot([AGENT], NOW + 21)[AGENT].routable is True


def test_heartbeat_figures_reach_node_status(store):
    online(store)
    beat = Heartbeat(CORE, 500, {"session_count": "3", "max_sessions": "1000",
                                 "session_per_sec": "27", "idle_cpu": "97.5"})

    assert store.node_heartbeat("fs1", beat, NOW + 20) is False

    status = store.node_statuses()["fs1"]
    assert (status.session_count, status.max_sessions, status.session_per_sec, status.idle_cpu,
            status.last_heartbeat, status.up) == (3, 1000, 27, 97.5, NOW + 20, True)
