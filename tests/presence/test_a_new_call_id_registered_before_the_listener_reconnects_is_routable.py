"""D1 of the lab report, end to end: after a restart a phone registers again with a new Call-ID
before the listener is back (on FreeSWITCH the listener's backoff had grown to 12-15 s). The
listener followed the old run to its shutdown notice, so that Call-ID can only come from a
REGISTER to the new run: after the reconnect the agent is routable, and the row the old process
kept (another agent, never registered again) is not."""

import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def test_a_new_call_id_registered_before_the_listener_reconnects_is_routable(
        emulator, listener, routable, store):
    emulator.control.register_agent("fs1", "1000", transport="tcp", call_id="before-restart-1")
    emulator.control.register_agent("fs1", "1001", transport="tcp", call_id="before-restart-2")
    wait_until(lambda: routable() and routable("1001@127.0.0.1"), what="registered")
    old_core = store.node_status("fs1").core

    # The node accepts connections but answers nothing: the listener cannot get back in yet,
    # however soon it retries. The shutdown notice still reaches it.
    emulator.control.lifecycle("fs1", "hang")
    new_core = emulator.control.lifecycle("fs1", "restart", down_for=0.5)["core_uuid"]
    wait_until(lambda: store.node_status("fs1").state == "lost", timeout=10, what="fs1 lost")
    # The phone is back at once (its TCP connection died with the old process): new Call-ID.
    emulator.control.register_agent("fs1", "1000", transport="tcp", call_id="after-restart-1")
    assert store.node_status("fs1").core == old_core, "the listener reconnected first"
    assert routable() is False

    emulator.control.lifecycle("fs1", "unhang")
    wait_until(lambda: store.node_status("fs1").core == new_core
               and store.node_status("fs1").state == "up", timeout=20, what="new core reconciled")
    now = time.time()
    views = store.snapshot(["1000@127.0.0.1", "1001@127.0.0.1"], now)
    assert [(r.call_id, r.stale) for r in views["1000@127.0.0.1"].registrations] == [
        ("after-restart-1", False)]
    assert views["1000@127.0.0.1"].routable is True
    # 1001's row was kept by the new run but no phone registered it again.
    assert [(r.call_id, r.stale) for r in views["1001@127.0.0.1"].registrations] == [
        ("before-restart-2", True)]
    assert views["1001@127.0.0.1"].routable is False
    assert store.reserve("sales", ["fs1"], now, 30).agent == "1000@127.0.0.1"
