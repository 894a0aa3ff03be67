"""An outsider (anonymous) reads nothing: every list, detail and the schema answer 401."""

from __future__ import annotations

import pytest

NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}

LISTS = [
    "/api/campaigns/",
    "/api/targets/",
    "/api/attempts/",
    "/api/agents/",
    "/api/agent-groups/",
    "/api/trunks/",
    "/api/nodes/",
    "/api/do-not-call/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*LISTS, "/api/"])
def test_an_anonymous_read_is_refused_with_401(outsider, url):
    response = outsider.get(url)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    # 401 rather than 403: the client is told how to authenticate.
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_its_ui_are_not_public(outsider, url):
    response = outsider.get(url)

    assert response.status_code == 401
    assert b"openapi" not in response.content.lower()


def test_an_anonymous_read_of_one_object_is_refused(outsider, campaign, node, agent):
    for url in [
        f"/api/campaigns/{campaign.pk}/",
        f"/api/campaigns/{campaign.pk}/stats/",
        f"/api/nodes/{node.pk}/",
        f"/api/agents/{agent.pk}/",
    ]:
        response = outsider.get(url)
        assert (url, response.status_code) == (url, 401)


def test_an_anonymous_write_is_refused_and_changes_nothing(outsider, campaign):
    response = outsider.post(f"/api/campaigns/{campaign.pk}/start/", {}, format="json")

    assert response.status_code == 401
    campaign.refresh_from_db()
    assert campaign.status == "draft"


@pytest.mark.django_db
def test_an_authenticated_viewer_may_list_every_endpoint(as_viewer):
    for url in LISTS:
        response = as_viewer.get(url)
        assert (url, response.status_code) == (url, 200)
        assert set(response.json()) == {"count", "next", "previous", "results"}
