"""The listener appends each channel event and notes it as its node's last appended entry in
one script (telephony.eventlog), so reconcile can tell a node whose events are still on their
way to the consumer (issue 16 item 11)."""

import json
import uuid

import pytest

from telephony.client import ESLConnection
from telephony.config import NodeConfig
from telephony.eventlog import EventLog
from tests.presence.processes import wait_until

# django_db: the shared listener reads the test database, so it must exist
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_last_appended_id_of_a_node_is_its_last_channel_event(cluster):
    store, emulator = cluster.store, cluster.emulator
    log = EventLog(store.client, store.prefix)
    call = str(uuid.uuid4())
    conn = ESLConnection.for_node(NodeConfig("fs2", "127.0.0.1", emulator.ports["fs2"],
                                             "ClueCon"))
    conn.connect()

    def hung_up() -> bool:
        return any(e[b"name"] == b"CHANNEL_HANGUP_COMPLETE" and call in e[b"data"].decode()
                   for _, e in store.client.xrange(f"{store.prefix}:events"))

    try:
        conn.bgapi(f"originate {{origination_uuid={call}}}"
                   "sofia/internal/4008001234@127.0.0.1:5090 &park()")
        conn.api(f"uuid_kill {call}")
        wait_until(hung_up, what="hangup streamed")
    finally:
        conn.close()

    def last_fs2_channel_event() -> str:
        for entry_id, e in reversed(store.client.xrange(f"{store.prefix}:events")):
            if e[b"node"] == b"fs2" and e[b"name"] not in (b"NODE_CONNECTED", b"NODE_LOST"):
                return entry_id.decode()
        return ""

    wait_until(lambda: log.appended("fs2") == last_fs2_channel_event(),
               what="the node's last appended id")
    hangup = [json.loads(e[b"data"]) for _, e in store.client.xrange(f"{store.prefix}:events")
              if e[b"name"] == b"CHANNEL_HANGUP_COMPLETE"]
    assert any(h.get("Unique-ID") == call for h in hangup)
