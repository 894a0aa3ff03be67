"""The admin's node list shows each node's live state from the listener."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from campaigns.dashboard.cluster import presence_store
from campaigns.models import Node


@pytest.mark.django_db
def test_admin_node_list_shows_live_state(client, settings, key_prefix):
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = ()
    cache.clear()
    Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=18021, esl_password="pw-never")
    store = presence_store()
    now = time.time()
    store.node_connected("fs1", "core-1", now)
    store.node_lost("fs1", now, "shutdown notice")
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-123456789")
    client.force_login(user)

    page = client.get("/admin/campaigns/node/").content.decode()

    assert "lost, 0 sessions, 0 agents online, 0 available (shutdown notice)" in page
    assert "pw-never" not in page
    cache.clear()
