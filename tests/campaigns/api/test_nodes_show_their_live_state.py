"""The nodes endpoint shows each node's live state from the listener, never its password."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from campaigns.dashboard.cluster import presence_store
from campaigns.models import Node


@pytest.fixture
def nodes(settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = ()
    cache.clear()
    up = Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=18021,
                             esl_password="never-shown-pw", max_sessions=100)
    lost = Node.objects.create(name="fs2", esl_host="127.0.0.1", esl_port=18022,
                               esl_password="never-shown-pw", max_sessions=100)
    store = presence_store()
    now = time.time()
    store.node_connected("fs1", "core-1", now)
    store.reconcile("fs1", "core-1", [], now)  # the listener's first reconcile: now trusted
    store.node_seen("fs1", now, 60)
    store.node_connected("fs2", "core-2", now)
    store.node_lost("fs2", now, "shutdown notice")
    yield up, lost
    cache.clear()


def test_nodes_show_their_live_state(as_viewer, nodes):
    response = as_viewer.get("/api/nodes/")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["fs1"]["live"]["state"] == "up"
    assert rows["fs2"]["live"]["state"] == "lost"
    assert rows["fs2"]["live"]["lost_reason"] == "shutdown notice"
    assert rows["fs1"]["live"]["agents_online"] == 0
    assert "never-shown-pw" not in response.content.decode()
