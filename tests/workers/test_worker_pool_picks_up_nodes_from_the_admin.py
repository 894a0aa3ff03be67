"""A node enabled in the admin reaches a running worker's pool without a restart."""

import pytest

from campaigns.models import Node
from workers import pool as worker_pool


@pytest.fixture
def fresh_pool():
    worker_pool.reset_pool()
    yield
    worker_pool.reset_pool()


@pytest.mark.django_db
def test_worker_pool_picks_up_nodes_from_the_admin(fresh_pool, monkeypatch, settings):
    settings.FREESWITCH_NODES = ()
    Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=18021, esl_password="pw-1")
    assert worker_pool.get_pool().nodes == ("fs1",)
    Node.objects.create(name="fs2", esl_host="127.0.0.1", esl_port=18022, esl_password="pw-2")
    # Within the refresh interval the pool keeps what it has (no query per dial) ...
    assert worker_pool.get_pool().nodes == ("fs1",)
    # ... and after it, it follows the database.
    monkeypatch.setattr(worker_pool, "NODE_REFRESH_SECONDS", 0.0)
    assert worker_pool.get_pool().nodes == ("fs1", "fs2")
    Node.objects.filter(name="fs1").update(enabled=False)
    assert worker_pool.get_pool().nodes == ("fs2",)
