"""Nodes go silent, go down, restart: their agents stop being routable until reconciled."""

import json
import time

import pytest

from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def stream_names(store, node):
    return [(e[b"name"].decode(), e[b"core"].decode(), json.loads(e[b"data"]))
            for _, e in store.client.xrange(f"{store.prefix}:events")
            if e[b"node"] == node.encode() and e[b"name"].startswith(b"NODE_")]


def test_a_hung_node_is_lost_after_the_grace_period_and_trusted_again_when_back(
        emulator, listener, routable, store):
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")

    emulator.control.lifecycle("fs1", "hang")
    wait_until(lambda: store.node_status("fs1").state == "lost", timeout=15, what="fs1 lost")
    assert routable() is False
    assert store.reserve("sales", ["fs1"], time.time(), 30) is None

    emulator.control.lifecycle("fs1", "unhang")
    wait_until(routable, timeout=20, what="fs1 trusted again")
    names = [name for name, _, _ in stream_names(store, "fs1")]
    assert names[:1] == ["NODE_CONNECTED"] and "NODE_LOST" in names
    assert names[-1] == "NODE_CONNECTED"


def test_a_node_down_past_grace_is_lost(emulator, listener, routable, store):
    emulator.control.register_agent("fs2", "1001", transport="tcp")
    wait_until(lambda: routable("1001@127.0.0.1"), what="registered")

    emulator.control.lifecycle("fs2", "stop")
    wait_until(lambda: store.node_status("fs2").state == "lost", timeout=15, what="fs2 lost")
    assert routable("1001@127.0.0.1") is False
    lost = [d for name, _, d in stream_names(store, "fs2") if name == "NODE_LOST"]
    assert lost[0]["reason"] == "connection down past grace"

    emulator.control.lifecycle("fs2", "start")
    wait_until(lambda: routable("1001@127.0.0.1"), timeout=20, what="fs2 back, same core")


def test_a_restart_is_lost_at_once_and_the_new_core_uuid_invalidates_old_registrations(
        emulator, listener, routable, store):
    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered")
    old_core = emulator.control.stats("fs1")["core_uuid"]

    restarted = emulator.control.lifecycle("fs1", "restart", down_for=1.5)

    new_core = restarted["core_uuid"]
    assert new_core != old_core
    wait_until(lambda: store.node_status("fs1").core == new_core, timeout=20, what="new core")
    # The restarted node still lists the TCP row (32c), but its connection died: stale.
    wait_until(lambda: store.node_status("fs1").up, timeout=20, what="reconciled")
    assert routable() is False
    assert [r.stale for r in store.snapshot(["1000@127.0.0.1"], time.time())[
        "1000@127.0.0.1"].registrations] == [True]
    entries = stream_names(store, "fs1")
    lost = [d for name, _, d in entries if name == "NODE_LOST"]
    assert lost[0]["reason"] == "shutdown notice"  # not after the grace period
    assert entries[-1][:2] == ("NODE_CONNECTED", new_core)

    emulator.control.register_agent("fs1", "1000", transport="tcp")
    wait_until(routable, what="registered on the restarted node")


def test_a_restart_while_no_listener_ran_is_reported_by_the_next_one(
        emulator, start_listener, store):
    first = start_listener()
    old_core = emulator.control.stats("fs1")["core_uuid"]
    first.stop()

    new_core = emulator.control.lifecycle("fs1", "restart")["core_uuid"]
    start_listener()

    connected = [d for name, core, d in stream_names(store, "fs1")
                 if name == "NODE_CONNECTED" and core == new_core]
    assert connected[-1]["restarted"] is True
    assert connected[-1]["previous"] == old_core
