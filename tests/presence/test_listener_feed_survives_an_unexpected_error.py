"""A node's feed thread outlives an unexpected error: it backs off and pumps again."""

from __future__ import annotations

from telephony.config import NodeConfig
from telephony.listener import Listener, ListenerConfig, NodeFeed


def test_an_error_in_the_pump_backs_off_and_pumps_again(redis_client, key_prefix):
    listener = Listener(redis_client, ListenerConfig(prefix=key_prefix), nodes=lambda: [])
    feed = NodeFeed(NodeConfig("fs1", "127.0.0.1", 1, "ClueCon"), listener)
    calls = []

    def pump(stream):
        calls.append(stream)
        if len(calls) == 1:
            raise KeyError("a bug on one event")
        listener.stopping.set()

    feed._pump = pump
    feed.owned.set()
    feed.start()
    feed.join(timeout=10)

    assert not feed.is_alive()
    assert len(calls) == 2
    assert calls[0] is not calls[1]  # a fresh stream (a reconnect) after the failure
