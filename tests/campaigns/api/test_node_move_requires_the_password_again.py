"""A node's stored ESL password never follows it to a new host or port (API)."""

from __future__ import annotations

import pytest

from campaigns.errors import NODE_MOVED_NEEDS_PASSWORD
from campaigns.models import Node

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("change", [{"esl_host": "203.0.113.9"}, {"esl_port": 9021}])
def test_moving_a_node_without_the_password_is_refused_and_changes_nothing(
    as_supervisor, node, change
):
    response = as_supervisor.patch(f"/api/nodes/{node.pk}/", change, format="json")

    assert response.status_code == 400
    assert response.json() == {"esl_password": [NODE_MOVED_NEEDS_PASSWORD]}
    stored = Node.objects.get(pk=node.pk)
    assert (stored.esl_host, stored.esl_port) == ("10.0.0.5", 8021)


def test_moving_a_node_with_the_password_is_accepted(as_supervisor, node):
    response = as_supervisor.patch(
        f"/api/nodes/{node.pk}/",
        {"esl_host": "203.0.113.9", "esl_password": "N3w-Secret"},
        format="json",
    )

    assert response.status_code == 200
    stored = Node.objects.get(pk=node.pk)
    assert (stored.esl_host, stored.esl_password) == ("203.0.113.9", "N3w-Secret")


def test_other_changes_and_an_unchanged_address_keep_the_stored_password(as_supervisor, node):
    response = as_supervisor.patch(
        f"/api/nodes/{node.pk}/",
        {"max_cps": 10, "esl_host": "10.0.0.5", "esl_port": 8021},
        format="json",
    )

    assert response.status_code == 200
    assert Node.objects.get(pk=node.pk).esl_password == "S3cr3t-ClueCon"
