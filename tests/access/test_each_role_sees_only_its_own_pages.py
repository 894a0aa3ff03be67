"""The role matrix (issue 16, item 5): every page, JSON feed, API list and export, for each of
anonymous, agent, viewer, supervisor, exporter and superuser, answers what the role allows.

An agent (a login linked to an Agent row, not staff) sees its own page and its own calls only:
no floor, no dashboards, no statistics, no API list, no export. Exports take the
`campaigns.export_campaign_data` permission, which a supervisor does not hold by default.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from tests.factories import (
    make_agent,
    make_attempt,
    make_campaign,
    make_superuser,
    make_target,
    make_viewer,
)

ROLES = ["anonymous", "agent", "viewer", "supervisor", "exporter", "superuser"]

# What each kind of URL answers a role that may not see it, per role.
LOGIN_PAGE = {"anonymous": 302, "agent": 403}
JSON_FEED = {"anonymous": 401, "agent": 403}
API = {"anonymous": 401, "agent": 403}

PAGES = [
    "/dashboard/",
    "/dashboard/campaigns/{campaign}/",
    "/dashboard/floor/",
    "/dashboard/agents/stats/",
]
FEEDS = [
    "/dashboard/data/system.json",
    "/dashboard/data/campaigns/{campaign}.json",
    "/dashboard/data/floor.json",
    "/dashboard/data/campaigns/{campaign}/floor.json",
    "/dashboard/data/history.json",
    "/dashboard/data/history.json?campaign={campaign}",
]
API_LISTS = [
    "/api/campaigns/",
    "/api/campaigns/{campaign}/",
    "/api/campaigns/{campaign}/stats/",
    "/api/targets/",
    "/api/attempts/",
    "/api/agents/",
    "/api/agent-groups/",
    "/api/trunks/",
    "/api/nodes/",
    "/api/do-not-call/",
    "/api/dispositions/",
    "/api/imports/",
    "/api/schema/",
]
EXPORTS = [
    "/dashboard/campaigns/{campaign}/export/targets.csv",
    "/dashboard/campaigns/{campaign}/export/targets.xlsx",
    "/dashboard/campaigns/{campaign}/export/attempts.csv",
    "/dashboard/campaigns/{campaign}/export/attempts.xlsx",
    "/dashboard/agents/stats/?format=csv",
    "/dashboard/agents/stats/?format=xlsx",
    "/api/targets/export/csv/",
    "/api/targets/export/xlsx/",
    "/api/attempts/export/csv/",
    "/api/attempts/export/xlsx/",
]
WATCHERS = {"viewer", "supervisor", "exporter", "superuser"}
EXPORTERS = {"exporter", "superuser"}


@pytest.fixture
def world(db):
    campaign = make_campaign()
    agent = make_agent(campaign.agent_group, user=make_viewer("agent-login"))
    other = make_agent(campaign.agent_group)
    make_attempt(make_target(campaign), agent=agent)
    make_attempt(make_target(campaign), agent=other)
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.set(Permission.objects.filter(content_type__app_label="campaigns")
                                .exclude(codename="export_campaign_data"))
    supervisor = make_viewer("supervisor")
    supervisor.is_staff = True
    supervisor.save()
    supervisor.groups.add(supervisors)
    exporter = make_viewer("exporter")
    exporter.user_permissions.add(Permission.objects.get(codename="export_campaign_data"))
    users = {"anonymous": None, "agent": agent.user, "viewer": make_viewer("viewer"),
             "supervisor": supervisor, "exporter": exporter, "superuser": make_superuser()}
    return {"campaign": campaign.pk, "users": users}


def client_for(world, role: str, api: bool = False):
    user = world["users"][role]
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def fetch(world, role: str, url: str) -> int:
    return client_for(world, role).get(url.format(campaign=world["campaign"])).status_code


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_pages(world, role):
    got = {url: fetch(world, role, url) for url in PAGES}
    want = {url: 200 if role in WATCHERS else LOGIN_PAGE[role] for url in PAGES}
    assert got == want


@pytest.mark.parametrize("role", ROLES)
def test_json_feeds(world, role):
    got = {url: fetch(world, role, url) for url in FEEDS}
    want = {url: 200 if role in WATCHERS else JSON_FEED[role] for url in FEEDS}
    assert got == want


@pytest.mark.parametrize("role", ROLES)
def test_api_lists(world, role):
    got = {url: fetch(world, role, url) for url in API_LISTS}
    want = {url: 200 if role in WATCHERS else API[role] for url in API_LISTS}
    assert got == want


@pytest.mark.parametrize("role", ROLES)
def test_exports(world, role):
    got = {url: fetch(world, role, url) for url in EXPORTS}
    refused = {"anonymous": {"/dashboard": 302, "/api": 401}, "agent": {"/dashboard": 403,
                                                                        "/api": 403}}
    want = {}
    for url in EXPORTS:
        if role in EXPORTERS:
            want[url] = 200
        elif role in refused:
            want[url] = refused[role]["/api" if url.startswith("/api") else "/dashboard"]
        else:
            want[url] = 403
    assert got == want


@pytest.mark.parametrize("role", ROLES)
def test_agent_page(world, role):
    got = {url: fetch(world, role, url) for url in ("/agent/", "/agent/data.json")}
    want = {
        "anonymous": {"/agent/": 302, "/agent/data.json": 401},
        "agent": {"/agent/": 200, "/agent/data.json": 200},
    }.get(role, {"/agent/": 403, "/agent/data.json": 403})
    assert got == want


@pytest.mark.parametrize("role", ROLES)
def test_admin_index(world, role):
    want = 200 if role in ("supervisor", "superuser") else 302
    assert fetch(world, role, "/admin/") == want


@pytest.mark.parametrize("role", ROLES)
def test_export_links_show_only_to_exporters(world, role):
    if role not in WATCHERS:
        return
    page = client_for(world, role).get(f"/dashboard/campaigns/{world['campaign']}/")
    stats = client_for(world, role).get("/dashboard/agents/stats/")
    shown = (b"/export/targets.csv" in page.content, b"format=csv" in stats.content)
    assert shown == ((True, True) if role in EXPORTERS else (False, False))


@pytest.mark.parametrize("role", ["supervisor", "exporter", "superuser"])
def test_admin_export_actions_need_the_export_permission(world, role):
    if role == "exporter":  # not staff: no admin at all
        user = world["users"]["exporter"]
        user.is_staff = True
        user.save()
        user.user_permissions.add(*Permission.objects.filter(codename__in=(
            "view_target", "view_callattempt")))
    client = client_for(world, role)
    for model in ("target", "callattempt"):
        page = client.get(f"/admin/campaigns/{model}/")
        assert page.status_code == 200
        assert (b'value="export_csv"' in page.content) == (role in EXPORTERS), model


def test_an_agent_reads_its_own_call_only(world):
    """The agent's own disposition is refused for another agent's attempt."""
    client = client_for(world, "agent")
    from campaigns.models import CallAttempt

    others = CallAttempt.objects.exclude(agent__user=world["users"]["agent"]).get()
    response = client.post("/agent/disposition/", {"attempt": others.pk, "disposition": "x"},
                           format="json")
    assert (response.status_code, response.json()) == (400, {"attempt": ["not one of your calls"]})
