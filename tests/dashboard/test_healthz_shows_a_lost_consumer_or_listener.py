"""/healthz and the dashboard data show the results pipeline: a consumer group with no live
reader, a growing backlog, a node whose events stopped. 200 with `pipeline.status: degraded`
(the web process itself is fine), 503 with `?strict=1`.
"""

from __future__ import annotations

import time

import pytest

from campaigns.models import Node

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline_settings(settings, redis_url, key_prefix):
    settings.REDIS_URL = redis_url
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.HEALTH_MAX_BACKLOG = 5
    settings.FREESWITCH_NODES = []
    return settings


def _reader(redis_client, prefix: str, name: str = "host-1") -> None:
    redis_client.xgroup_create(f"{prefix}:events", "results", id="0", mkstream=True)
    redis_client.set(f"{prefix}:consumers:{name}", int(time.time()), ex=30)


def test_no_consumer_is_degraded_and_strict_gets_a_503(client, pipeline_settings):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["pipeline"]["status"] == "degraded"
    assert body["pipeline"]["results_consumer"]["state"] == "absent"
    assert client.get("/healthz?strict=1").status_code == 503


def test_a_live_reader_without_backlog_is_ok(client, pipeline_settings, redis_client,
                                              key_prefix):
    _reader(redis_client, key_prefix)
    body = client.get("/healthz?strict=1")
    assert body.status_code == 200
    consumer = body.json()["pipeline"]["results_consumer"]
    assert (consumer["state"], consumer["readers"], consumer["lag"], consumer["pending"]) == (
        "running", ["host-1"], 0, 0)


def test_a_backlog_past_the_limit_is_degraded(client, pipeline_settings, redis_client,
                                               key_prefix):
    _reader(redis_client, key_prefix)
    for i in range(8):
        redis_client.xadd(f"{key_prefix}:events", {"n": i})
    consumer = client.get("/healthz").json()["pipeline"]["results_consumer"]
    assert (consumer["state"], consumer["lag"], consumer["stream_length"]) == ("backlog", 8, 8)


def test_a_deleted_stream_is_no_group_while_a_reader_lives(client, pipeline_settings,
                                                           redis_client, key_prefix):
    _reader(redis_client, key_prefix)
    redis_client.delete(f"{key_prefix}:events")
    assert client.get("/healthz").json()["pipeline"]["results_consumer"]["state"] == "no_group"


def test_a_node_without_a_listener_is_shown_silent(client, pipeline_settings, redis_client,
                                                   key_prefix):
    _reader(redis_client, key_prefix)
    Node.objects.create(name="fs9", esl_host="127.0.0.1", esl_port=8021, esl_password="x")
    listener = client.get("/healthz").json()["pipeline"]["listener"]
    assert listener == {"state": "absent", "nodes": 1, "nodes_owned": 0,
                        "silent_nodes": ["fs9"]}
