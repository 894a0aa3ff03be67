"""A node's ESL password can be set and changed but never appears in any response."""

from __future__ import annotations

import pytest

from campaigns.models import Node

PASSWORD = "S3cr3t-ClueCon"


def _assert_no_secret(response, secret=PASSWORD):
    text = response.content.decode()
    assert secret not in text
    assert "esl_password" not in (
        response.json() if response["Content-Type"].startswith("application/json") else {}
    )


@pytest.mark.django_db
def test_creating_a_node_stores_the_password_and_does_not_echo_it(as_supervisor):
    response = as_supervisor.post(
        "/api/nodes/",
        {"name": "fs2", "esl_host": "10.0.0.6", "esl_port": 8021, "esl_password": "N3w-Secret"},
        format="json",
    )

    assert response.status_code == 201
    assert set(response.json()) == {
        "id",
        "name",
        "esl_host",
        "esl_port",
        "sip_profile",
        "enabled",
        "max_sessions",
        "max_cps",
        "live",
        "created_at",
        "updated_at",
    }
    assert "N3w-Secret" not in response.content.decode()
    assert Node.objects.get(name="fs2").esl_password == "N3w-Secret"


def test_list_and_detail_never_show_the_password(as_viewer, as_supervisor, node):
    for client in (as_viewer, as_supervisor):
        for url in ("/api/nodes/", f"/api/nodes/{node.pk}/"):
            response = client.get(url)
            assert response.status_code == 200
            _assert_no_secret(response)


def test_the_browsable_api_page_never_shows_the_password(as_supervisor, node):
    response = as_supervisor.get(f"/api/nodes/{node.pk}/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert PASSWORD not in response.content.decode()


def test_changing_other_fields_keeps_the_password(as_supervisor, node):
    response = as_supervisor.patch(f"/api/nodes/{node.pk}/", {"max_cps": 50}, format="json")

    assert response.status_code == 200
    _assert_no_secret(response)
    node.refresh_from_db()
    assert (node.max_cps, node.esl_password) == (50, PASSWORD)


def test_changing_the_password_is_not_echoed(as_supervisor, node):
    response = as_supervisor.patch(
        f"/api/nodes/{node.pk}/", {"esl_password": "Rotated-2"}, format="json"
    )

    assert response.status_code == 200
    _assert_no_secret(response, "Rotated-2")
    node.refresh_from_db()
    assert node.esl_password == "Rotated-2"


@pytest.mark.django_db
def test_a_node_cannot_be_created_without_a_password(as_supervisor):
    response = as_supervisor.post(
        "/api/nodes/", {"name": "fs3", "esl_host": "10.0.0.7"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"esl_password": ["This field is required."]}


def test_a_rejected_password_is_not_repeated_in_the_error(as_supervisor, node):
    hostile = "pw\nexit"

    response = as_supervisor.patch(
        f"/api/nodes/{node.pk}/", {"esl_password": hostile}, format="json"
    )

    assert response.status_code == 400
    assert hostile not in response.content.decode()
    assert "pw" not in response.content.decode()
    node.refresh_from_db()
    assert node.esl_password == PASSWORD


def test_the_schema_marks_the_password_write_only(as_viewer):
    schema = as_viewer.get("/api/schema/?format=json").json()

    node = schema["components"]["schemas"]["Node"]["properties"]
    assert node["esl_password"]["writeOnly"] is True
