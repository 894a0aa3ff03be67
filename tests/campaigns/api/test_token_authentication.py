"""Token authentication: `Authorization: Token <key>` works; a wrong token gets 401."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def test_a_valid_token_reads_the_api(viewer, campaign):
    token = Token.objects.create(user=viewer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get("/api/campaigns/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [campaign.pk]


def test_a_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get("/api/campaigns/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_logged_in_session_reads_the_api(viewer):
    client = APIClient()
    client.force_login(viewer)

    assert client.get("/api/campaigns/").status_code == 200
