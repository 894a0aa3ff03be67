"""Channel events and BACKGROUND_JOB go to the `<prefix>:events` stream, deduplicable."""

import json
import uuid

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from tests.presence.processes import wait_until

# django_db: the shared listener reads the test database, so it must exist
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_an_answered_call_appears_on_the_events_stream_with_node_core_and_sequence(cluster):
    store, emulator = cluster.store, cluster.emulator
    call = str(uuid.uuid4())
    conn = ESLConnection.for_node(NodeConfig("fs2", "127.0.0.1", emulator.ports["fs2"],
                                             "ClueCon"))
    conn.connect()

    def mine():
        found = []
        for _, e in store.client.xrange(f"{store.prefix}:events"):
            data = json.loads(e[b"data"])
            if call in data.get("Unique-ID", "") + data.get("_body", ""):
                found.append(e)
        return found

    try:
        conn.bgapi(f"originate {{origination_uuid={call},attempt_id=77}}"
                   "sofia/internal/4008001234@127.0.0.1:5090 &park()")
        wait_until(lambda: any(e[b"name"] == b"CHANNEL_PARK" for e in mine()), what="parked")
        conn.api(f"uuid_kill {call}")
        wait_until(lambda: any(e[b"name"] == b"CHANNEL_HANGUP_COMPLETE" for e in mine()),
                   what="hangup streamed")
    finally:
        conn.close()
    entries = mine()

    names = {e[b"name"].decode() for e in entries}
    assert {"CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE"} <= names
    core = emulator.control.stats("fs2")["core_uuid"]
    assert {e[b"node"] for e in entries} == {b"fs2"}
    assert {e[b"core"].decode() for e in entries} == {core}
    seqs = [int(e[b"seq"]) for e in entries]
    assert len(set(seqs)) == len(seqs)  # (core, seq) identifies each event
    answer = json.loads(next(e for e in entries if e[b"name"] == b"CHANNEL_ANSWER")[b"data"])
    assert answer["variable_attempt_id"] == "77"
    job = json.loads(next(e for e in entries if e[b"name"] == b"BACKGROUND_JOB")[b"data"])
    assert job["_body"] == f"+OK {call}\n"


def test_presence_events_are_applied_never_streamed_and_each_connect_is_announced(cluster):
    entries = [e for _, e in cluster.store.client.xrange(f"{cluster.prefix}:events")]
    assert b"CUSTOM" not in {e[b"name"] for e in entries}
    assert b"HEARTBEAT" not in {e[b"name"] for e in entries}
    announced = {(e[b"node"], e[b"core"].decode()) for e in entries
                 if e[b"name"] == b"NODE_CONNECTED"}
    assert announced == {(name.encode(), cluster.emulator.control.stats(name)["core_uuid"])
                         for name in cluster.emulator.ports}
