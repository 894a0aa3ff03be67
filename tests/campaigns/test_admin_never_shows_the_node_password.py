"""The ESL password is write-only in the admin: no page, form or history ever shows it."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from campaigns.models import Node
from tests.factories import make_node

SECRET = "Cl8eC0n-very-secret"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def node_form(**overrides):
    data = {
        "name": "fs9",
        "esl_host": "10.0.0.9",
        "esl_port": "8021",
        "esl_password": "",
        "sip_profile": "internal",
        "enabled": "on",
        "max_sessions": "1000",
        "max_cps": "30",
    }
    data.update(overrides)
    return data


def test_the_password_never_appears_in_any_page(admin_client):
    node = make_node(name="fs1", esl_password=SECRET)
    pages = [
        reverse("admin:campaigns_node_changelist"),
        reverse("admin:campaigns_node_change", args=[node.pk]),
        reverse("admin:campaigns_node_history", args=[node.pk]),
        reverse("admin:campaigns_node_delete", args=[node.pk]),
        reverse("admin:campaigns_node_changelist") + "?q=fs1",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert SECRET.encode() not in response.content, url


def test_adding_a_node_needs_a_password_and_stores_it(admin_client):
    url = reverse("admin:campaigns_node_add")
    refused = admin_client.post(url, node_form())
    assert refused.status_code == 200
    assert "An ESL password is required for a new node." in refused.content.decode()

    created = admin_client.post(url, node_form(esl_password=SECRET))
    assert created.status_code == 302
    assert Node.objects.get(name="fs9").esl_password == SECRET


def test_a_blank_password_on_change_keeps_the_old_one_and_history_hides_it(admin_client):
    node = make_node(name="fs9", esl_host="10.0.0.9", esl_password=SECRET)
    url = reverse("admin:campaigns_node_change", args=[node.pk])
    response = admin_client.post(url, node_form(max_cps="40"))
    assert response.status_code == 302
    node.refresh_from_db()
    assert (node.esl_password, node.max_cps) == (SECRET, 40)

    response = admin_client.post(url, node_form(esl_password="N3w-secret"))
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.esl_password == "N3w-secret"
    for entry in LogEntry.objects.all():
        assert SECRET not in entry.change_message and "N3w-secret" not in entry.change_message


def test_an_invalid_password_is_refused_without_echoing_it(admin_client):
    response = admin_client.post(
        reverse("admin:campaigns_node_add"), node_form(esl_password="bad secret\nauth x")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "ESL password may contain only printable ASCII characters without spaces" in body
    assert "bad secret" not in body
