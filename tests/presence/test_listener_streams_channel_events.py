"""Channel events and BACKGROUND_JOB go to the `<prefix>:events` stream, deduplicable."""

import json
import uuid

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from tests.presence.processes import wait_until

pytestmark = pytest.mark.integration


def test_an_answered_call_appears_on_the_events_stream_with_node_core_and_sequence(
        emulator, listener, store):
    call = str(uuid.uuid4())
    conn = ESLConnection.for_node(NodeConfig("fs2", "127.0.0.1", emulator.ports["fs2"],
                                             "ClueCon"))
    conn.connect()
    try:
        conn.bgapi(f"originate {{origination_uuid={call},attempt_id=77}}"
                   "sofia/internal/4008001234@127.0.0.1:5090 &park()")

        def mine():
            return [e for _, e in store.client.xrange(f"{store.prefix}:events")
                    if e[b"name"] != b"NODE_CONNECTED"
                    and call in json.loads(e[b"data"]).get("Unique-ID", "")
                    + json.loads(e[b"data"]).get("_body", "")]

        entries = wait_until(lambda: len(mine()) >= 3 and mine(), what="call events streamed")
        conn.api(f"uuid_kill {call}")
        wait_until(lambda: any(e[b"name"] == b"CHANNEL_HANGUP_COMPLETE" for e in mine()),
                   what="hangup streamed")
        entries = mine()
    finally:
        conn.close()

    names = [e[b"name"].decode() for e in entries]
    assert {"CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE"} <= set(
        names)
    core = emulator.control.stats("fs2")["core_uuid"]
    assert {e[b"node"] for e in entries} == {b"fs2"}
    assert {e[b"core"].decode() for e in entries} == {core}
    seqs = [int(e[b"seq"]) for e in entries]
    assert len(set(seqs)) == len(seqs)  # (core, seq) identifies each event
    answer = json.loads(next(e for e in entries if e[b"name"] == b"CHANNEL_ANSWER")[b"data"])
    assert answer["variable_attempt_id"] == "77"
    job = json.loads(next(e for e in entries if e[b"name"] == b"BACKGROUND_JOB")[b"data"])
    assert job["_body"] == f"+OK {call}\n"
    # presence events are applied, never streamed
    assert b"CUSTOM" not in {e[b"name"] for _, e in store.client.xrange(f"{store.prefix}:events")}


def test_every_connect_is_announced_on_the_stream(emulator, listener, store):
    announced = {(e[b"node"], e[b"core"].decode())
                 for _, e in store.client.xrange(f"{store.prefix}:events")
                 if e[b"name"] == b"NODE_CONNECTED"}
    assert announced == {(name.encode(), emulator.control.stats(name)["core_uuid"])
                         for name in emulator.ports}
