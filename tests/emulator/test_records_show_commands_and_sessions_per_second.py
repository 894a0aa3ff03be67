"""The records let a test check rates: commands per connection, sessions created per second."""

from __future__ import annotations

import time
from collections import Counter


def test_commands_and_channels_records_expose_per_second_rates(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.set_limits(sps=5)
    conn = esl()
    conn.cmd("event plain BACKGROUND_JOB")
    start = time.time()
    conn.send(
        "".join(f"bgapi originate sofia/gateway/gw/4008{n:04d} &park()\n\n" for n in range(12))
    )
    for _ in range(12):
        assert conn.reply().headers["Reply-Text"].startswith("+OK Job-UUID: ")
    deadline = time.monotonic() + 5
    while len(conn.events) < 12 and time.monotonic() < deadline:
        conn.drain(0.05)
    originates = fs1.commands(since=start, contains="originate")
    assert len(originates) == 12
    assert {c["conn"] for c in originates} == {originates[0]["conn"]}
    created = Counter(int(c["created"]) for c in fs1.channels(since=start))
    # sps 5 admits at most 4 new sessions in any one second; the rest were refused.
    assert created and max(created.values()) <= 4
    refused = [f for f in conn.events if f.event_body() == b"-ERR DESTINATION_OUT_OF_ORDER\n"]
    assert len(refused) == 12 - sum(created.values())
