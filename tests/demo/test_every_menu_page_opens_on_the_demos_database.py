"""Every page in the dashboard's top menu, the admin's site menu and sidebar, and the admin index
open (200) on the demo's own database engine with the demo's own data (issue 16, item 2).

The demo runs on PostgreSQL, as the tests do (scripts/demo.py), so a query one engine refuses
(agent statistics once used PostgreSQL's DISTINCT ON while the demo ran on SQLite) shows here.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Agent, AgentStateChange, CallAttempt, Outcome, Target

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import demo  # noqa: E402
import demo_seed  # noqa: E402

NAV = re.compile(rb'<nav>(.*?)</nav>', re.S)
HREF = re.compile(rb'href="([^"]+)"')


def test_the_demo_runs_on_the_tests_database_engine(db):
    assert urlparse(demo.DEFAULT_DATABASE_URL).scheme == "postgres"
    assert connection.vendor == "postgresql"


@pytest.fixture
def seeded(db):
    demo_seed.ensure_admin("demo-admin-pw")
    seeded = demo_seed.seed(agent_count=4, target_count=40)
    demo_seed.ensure_agent_login("demo-agent-pw")
    # Some history, as a running demo has: calls and agent state changes, before and in today.
    agents = list(Agent.objects.order_by("id"))
    now = timezone.now()
    for index, target in enumerate(Target.objects.filter(campaign_id=seeded.campaign_id)[:8]):
        CallAttempt.objects.create(
            target=target, campaign_id=seeded.campaign_id, attempt_number=1,
            agent=agents[index % len(agents)], originated_at=now, answered_at=now,
            bridged_at=now, ended_at=now, outcome=Outcome.ANSWERED, billsec=30)
    for index, agent in enumerate(agents):
        for axis, value, days in (("intent", "available", 2), ("activity", "idle", 2),
                                  ("registration", "online", 1), ("activity", "on_call", 0)):
            AgentStateChange.objects.create(
                agent=agent, at=now - dt.timedelta(days=days, minutes=index), axis=axis,
                value=value, stream_id=f"{agent.pk}-{axis}-{days}")
    return seeded


def menu_links(client) -> list[str]:
    """The dashboard's top menu, the admin's site menu, every model in the admin's sidebar."""
    page = client.get("/dashboard/")
    assert page.status_code == 200
    links = [href.decode() for href in HREF.findall(NAV.search(page.content).group(1))]
    links += [item["link"] for item in settings.UNFOLD["SITE_DROPDOWN"]]
    for model in admin.site._registry:
        opts = model._meta
        links.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    return links


def test_every_menu_page_opens_for_the_demos_admin(client, seeded):
    assert client.login(username=demo_seed.ADMIN_USERNAME, password="demo-admin-pw")
    links = menu_links(client)
    assert {"/dashboard/", "/dashboard/floor/", "/dashboard/agents/stats/", "/admin/",
            "/api/docs/"} <= set(links)
    campaign = seeded.campaign_id
    links += [
        f"/dashboard/campaigns/{campaign}/",
        f"/admin/campaigns/campaign/{campaign}/change/",
        f"/dashboard/data/campaigns/{campaign}.json",
        "/dashboard/data/system.json",
        "/dashboard/data/floor.json",
        "/dashboard/data/history.json",
        "/dashboard/agents/stats/?format=csv",
        "/dashboard/agents/stats/?format=xlsx",
        f"/dashboard/campaigns/{campaign}/export/attempts.csv",
    ]
    got = {}
    for link in links:
        response = client.get(link)
        if response.streaming:
            b"".join(response.streaming_content)  # a broken export fails while it streams
        got[link] = response.status_code
    assert got == dict.fromkeys(links, 200)


def test_the_demos_agent_login_opens_the_agent_page(client, seeded):
    assert client.login(username=demo_seed.AGENT_USERNAME, password="demo-agent-pw")
    assert client.get("/agent/").status_code == 200
    assert client.get("/agent/data.json").json()["sip"].startswith("1001@")
    assert client.get("/dashboard/floor/").status_code == 403
