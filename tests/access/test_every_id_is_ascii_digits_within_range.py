"""Every id a user writes (in a path, a query string or a form) is ASCII digits within the
database's range; anything else answers 400 or 404, never 500 (issue 16, item 6)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from campaigns.ids import MAX_ID, parse_id
from tests.factories import (
    make_agent,
    make_attempt,
    make_campaign,
    make_superuser,
    make_target,
    make_viewer,
)

BAD_IDS = [
    "²",                     # a superscript: str.isdigit() says yes, int() says no
    "1²",
    "٣",                     # an Arabic-Indic three: int() reads it as 3
    "１",                    # a full-width one
    "9" * 4400,              # past int()'s 4,300-digit limit
    "9" * 20,                # past a bigint
    str(MAX_ID + 1),
    "0",
    "-1",
    "+1",
    "1.0",
    "1e3",
    "0x10",
    " 1",
    "1 ",
    "1\n",
    "",
]
NOT_EMPTY = [bad for bad in BAD_IDS if bad]


def test_parse_id_accepts_only_ascii_digits_within_range():
    assert [parse_id(bad) for bad in BAD_IDS] == [None] * len(BAD_IDS)
    assert [parse_id(good) for good in ("1", "42", "007", str(MAX_ID))] == [1, 42, 7, MAX_ID]
    assert [parse_id(value) for value in (True, None, 3.0, 0, MAX_ID + 1, 5)] == [
        None, None, None, None, None, 5]


# Paths: {} is the bad id (percent-encoded as a browser would send it).
PATHS = [
    ("get", "/dashboard/campaigns/{}/"),
    ("post", "/dashboard/campaigns/{}/start/"),
    ("get", "/dashboard/campaigns/{}/export/targets.csv"),
    ("get", "/dashboard/data/campaigns/{}.json"),
    ("get", "/dashboard/data/campaigns/{}/floor.json"),
    ("post", "/dashboard/agents/{}/intent/"),
    ("get", "/admin/campaigns/campaign/{}/change/"),
    ("get", "/admin/campaigns/campaign/{}/delete/"),
    ("get", "/admin/campaigns/campaign/{}/history/"),
    ("get", "/admin/campaigns/campaign/{}/import/"),
    ("get", "/admin/campaigns/campaign/{}/recycle/"),
    ("get", "/admin/campaigns/target/{}/change/"),
    ("get", "/admin/campaigns/callattempt/{}/change/"),
    ("get", "/admin/campaigns/agent/{}/change/"),
    ("get", "/admin/campaigns/agentgroup/{}/change/"),
    ("get", "/admin/campaigns/trunk/{}/change/"),
    ("get", "/admin/campaigns/node/{}/change/"),
    ("get", "/admin/campaigns/donotcall/{}/change/"),
    ("get", "/admin/campaigns/disposition/{}/change/"),
    ("get", "/admin/campaigns/callback/{}/change/"),
    ("get", "/admin/campaigns/importjob/{}/change/"),
    ("get", "/admin/campaigns/calldetailrecord/{}/change/"),
    ("get", "/api/campaigns/{}/"),
    ("get", "/api/campaigns/{}/stats/"),
    ("get", "/api/targets/{}/"),
    ("get", "/api/attempts/{}/"),
    ("get", "/api/agents/{}/"),
    ("get", "/api/agent-groups/{}/"),
    ("get", "/api/trunks/{}/"),
    ("get", "/api/nodes/{}/"),
    ("get", "/api/dispositions/{}/"),
    ("get", "/api/imports/{}/"),
]

# Query strings: ?name=<bad id>.
QUERIES = [
    ("/dashboard/data/history.json", "campaign"),
    ("/dashboard/agents/stats/", "group"),
    ("/dashboard/agents/stats/?format=csv", "group"),
    ("/api/targets/", "campaign"),
    ("/api/attempts/", "campaign"),
    ("/api/attempts/", "target"),
    ("/api/attempts/", "agent"),
    ("/api/agents/", "group"),
    ("/api/campaigns/", "trunk"),
]


@pytest.fixture
def world(db):
    campaign = make_campaign()
    agent = make_agent(campaign.agent_group, user=make_viewer("agent-login"))
    make_attempt(make_target(campaign), agent=agent)
    return agent


@pytest.fixture
def admin_client(client, world):
    client.force_login(make_superuser())
    return client


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_a_bad_id_in_a_path_is_not_found(admin_client, method, path):
    for bad in NOT_EMPTY:
        # The admin sends an unknown sub-path of an object to its change page: follow that.
        response = getattr(admin_client, method)(path.format(quote(bad, safe="")), follow=True)
        assert response.status_code in (400, 404), (bad[:30], response.status_code)


@pytest.mark.parametrize(("path", "name"), QUERIES)
def test_a_bad_id_in_a_query_is_a_400(admin_client, path, name):
    api = APIClient()
    api.force_authenticate(make_superuser("api-admin"))
    for bad in NOT_EMPTY:
        joiner = "&" if "?" in path else "?"
        url = f"{path}{joiner}{name}={quote(bad, safe='')}"
        response = (api if path.startswith("/api/") else admin_client).get(url)
        assert response.status_code in (400, 404), (bad[:30], response.status_code)


def test_a_bad_attempt_id_in_a_disposition_is_a_400(client, world):
    client.force_login(world.user)
    for bad in [*BAD_IDS, 10**30]:
        response = client.post("/agent/disposition/", {"attempt": bad, "disposition": "sale"},
                               content_type="application/json")
        assert response.status_code == 400, (str(bad)[:30], response.status_code)
        assert response.json() == {"attempt": ["not one of your calls"]}


def test_a_bad_preview_id_in_an_import_confirmation_is_not_found(admin_client, world):
    campaign = world.group.campaigns.get()
    for bad in NOT_EMPTY:
        response = admin_client.post(f"/admin/campaigns/campaign/{campaign.pk}/import/",
                                     {"confirm": "1", "job": bad})
        assert response.status_code == 404, (bad[:30], response.status_code)
