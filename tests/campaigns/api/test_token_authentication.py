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


def test_a_user_exchanges_username_and_password_for_their_token(db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("alice", password="correct horse battery")
    client = APIClient()

    good = client.post(
        "/api/auth/token/", {"username": "alice", "password": "correct horse battery"}
    )
    bad = client.post("/api/auth/token/", {"username": "alice", "password": "wrong"})

    assert (good.status_code, good.json()) == (200, {"token": Token.objects.get(user=user).key})
    assert (bad.status_code, bad.json()) == (
        400, {"non_field_errors": ["Unable to log in with provided credentials."]}
    )


def test_hostile_credentials_are_a_400_not_a_500(db):
    client = APIClient()

    nul = client.post("/api/auth/token/", {"username": "a\x00", "password": "x"}, format="json")
    surrogate = client.generic(
        "POST", "/api/auth/token/", '{"username": "\\ud800", "password": "x"}',
        content_type="application/json",
    )

    assert (nul.status_code, nul.json()) == (
        400, {"username": ["Null characters are not allowed."]}
    )
    assert (surrogate.status_code, surrogate.json()) == (
        400, {"detail": "JSON parse error - text is not valid UTF-8"}
    )


def test_a_session_write_without_the_csrf_token_is_refused(supervisor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(supervisor)

    response = client.post("/api/agent-groups/", {"name": "Support"}, format="json")

    assert (response.status_code, response.json()) == (
        403, {"detail": "CSRF Failed: CSRF cookie not set."}
    )
