"""Node.clean (the admin's check) names the field that is wrong, with the API's exact messages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Node

NODE_NAME = (
    "node name must start with a letter and contain only letters, digits, _ and - (at most 63)"
)
ESL_HOST = "ESL host must be a host name or an IP address"


def errors_of(node: Node) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        node.clean()
    return caught.value.message_dict


def test_a_bad_host_is_reported_on_the_host_even_when_the_node_name_contains_name():
    node = Node(name="fsname1", esl_host="host/path", esl_password="ClueCon")

    assert errors_of(node) == {"esl_host": [ESL_HOST]}


def test_a_bad_name_and_a_bad_host_are_both_reported():
    node = Node(name="1fs", esl_host="10.0.0.6\nauth x", esl_password="ClueCon")

    assert errors_of(node) == {"name": [NODE_NAME], "esl_host": [ESL_HOST]}


def test_a_good_node_passes():
    Node(name="fs2", esl_host="10.0.0.6", esl_password="ClueCon").clean()


def test_a_trailing_newline_is_refused_in_the_name_and_the_host():
    node = Node(name="fs2\n", esl_host="10.0.0.6\n", esl_password="ClueCon")

    assert errors_of(node) == {"name": [NODE_NAME], "esl_host": [ESL_HOST]}
