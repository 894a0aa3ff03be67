"""The agent page's JSON views: 401 without a login (never a login page), 403 for a login that is
no agent, each with a JSON detail; nothing is read or written for either."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

VIEWS = [("get", "/agent/data.json"), ("post", "/agent/disposition/"), ("post", "/agent/intent/")]


@pytest.mark.parametrize(("method", "url"), VIEWS)
def test_anonymous_gets_401(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}


@pytest.mark.parametrize(("method", "url"), VIEWS)
def test_a_login_with_no_agent_gets_403(client, method, url):
    client.force_login(get_user_model().objects.create_user("sam", password="sam-pw-for-tests"))
    response = getattr(client, method)(url, {"action": "pause"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This login is not linked to an agent (Agent.user)."}
