"""In the admin too, a node's stored ESL password never follows it to a new host or port."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.errors import NODE_MOVED_NEEDS_PASSWORD
from campaigns.models import Node
from tests.factories import make_node

SECRET = "Cl8eC0n-very-secret"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def form_for(node: Node, **overrides: str) -> dict[str, str]:
    data = {
        "name": node.name,
        "esl_host": node.esl_host,
        "esl_port": str(node.esl_port),
        "esl_password": "",
        "sip_profile": node.sip_profile,
        "enabled": "on",
        "max_sessions": str(node.max_sessions),
        "max_cps": str(node.max_cps),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("change", [{"esl_host": "203.0.113.9"}, {"esl_port": "9021"}])
def test_moving_a_node_without_the_password_is_refused(admin_client, change):
    node = make_node(name="fs1", esl_host="10.0.0.5", esl_password=SECRET)
    url = reverse("admin:campaigns_node_change", args=[node.pk])

    response = admin_client.post(url, form_for(node, **change))

    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors == {
        "esl_password": [NODE_MOVED_NEEDS_PASSWORD]
    }
    stored = Node.objects.get(pk=node.pk)
    assert (stored.esl_host, stored.esl_port, stored.esl_password) == ("10.0.0.5", 8021, SECRET)


def test_moving_a_node_with_a_new_password_and_editing_in_place_both_save(admin_client):
    node = make_node(name="fs1", esl_host="10.0.0.5", esl_password=SECRET)
    url = reverse("admin:campaigns_node_change", args=[node.pk])

    moved = admin_client.post(url, form_for(node, esl_host="203.0.113.9", esl_password="N3w-pw"))
    node.refresh_from_db()
    kept = admin_client.post(url, form_for(node, max_cps="7"))

    assert (moved.status_code, kept.status_code) == (302, 302)
    node.refresh_from_db()
    assert (node.esl_host, node.esl_password, node.max_cps) == ("203.0.113.9", "N3w-pw", 7)
