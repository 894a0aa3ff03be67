"""Issue 16 item 12: a node whose answered calls got no CDR post is a warning on the system
dashboard and in /healthz, saying what it risks (a lost event then leaves an answered call
`unknown`, and a campaign that dials unknown outcomes again may call the person again)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaigns.models import CallAttempt, CallDetailRecord
from tests.factories import make_attempt, make_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdr_world(settings, redis_url, key_prefix, campaign):
    settings.REDIS_URL = redis_url
    settings.REDIS_KEY_PREFIX = key_prefix
    settings.FREESWITCH_NODES = []
    settings.CDR_PASSWORD = "cdr-secret-for-tests"
    cache.delete_many(["dashboard:system"])
    now = timezone.now()

    def answered(node: str, count: int, *, with_cdr: bool = False) -> list[CallAttempt]:
        made = []
        for _ in range(count):
            attempt = make_attempt(make_target(campaign), node=node, answered_at=now,
                                   ended_at=now, outcome="answered")
            if with_cdr:
                CallDetailRecord.objects.create(leg_uuid=uuid.uuid4(), attempt=attempt,
                                                leg="target", received_at=now)
            made.append(attempt)
        return made

    yield answered
    cache.delete_many(["dashboard:system"])


def test_healthz_warns_about_the_node_with_no_cdr_and_says_what_it_risks(client, cdr_world):
    cdr_world("fs1", 3)
    cdr_world("fs2", 3, with_cdr=True)
    cdr_world("fs3", 2)  # too few to tell: a post may be on its way

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    cdr = body["pipeline"]["cdr"]
    assert (cdr["status"], cdr["nodes"]) == ("warning", ["fs1"])
    assert cdr["reasons"] == {"fs1": "no CDR for its 3 answered calls in the last 15 minutes"}
    assert "may call that person again" in cdr["risk"]


def test_every_node_is_warned_while_the_endpoint_has_no_password(client, cdr_world, settings):
    settings.CDR_PASSWORD = ""
    cdr_world("fs1", 4)
    cdr = client.get("/healthz").json()["pipeline"]["cdr"]
    assert cdr["reasons"] == {
        "fs1": "the CDR endpoint has no password (CDR_PASSWORD): it refuses every post"}


def test_nodes_that_post_cdrs_raise_no_warning(client, cdr_world):
    cdr_world("fs1", 5, with_cdr=True)
    old = cdr_world("fs2", 5)
    CallAttempt.objects.filter(id__in=[a.id for a in old]).update(
        ended_at=timezone.now() - dt.timedelta(hours=2))  # outside the window
    assert client.get("/healthz").json()["pipeline"]["cdr"] == {"status": "ok"}


def test_the_system_dashboard_shows_the_warning(client, supervisor, cdr_world):
    cdr_world("fs1", 3)
    client.force_login(supervisor)

    page = client.get("/dashboard/").content.decode()
    data = client.get("/dashboard/data/system.json").json()

    assert "Nodes posting no CDRs" in page and '<section class="panel" id="cdr-warning">' in page
    assert "<strong>fs1</strong>: no CDR for its 3 answered calls" in page
    assert "may call that person again" in page
    assert [row["node"] for row in data["problems"]["cdr_nodes"]] == ["fs1"]
