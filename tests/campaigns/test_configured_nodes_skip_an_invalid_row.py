"""A node row that breaks the node rules is skipped; the other nodes stay in service."""

import pytest

from campaigns.models import Node
from campaigns.services.call_path.nodes import configured_nodes


@pytest.mark.django_db
def test_configured_nodes_skip_an_invalid_row(caplog):
    Node.objects.create(name="fs1", esl_host="127.0.0.1", esl_port=8021, esl_password="s3cret-pw")
    # Written past model validation, as an old row or raw SQL could be.
    Node.objects.create(name="fs2", esl_host="bad host\n", esl_port=8022, esl_password="s3cret-pw")
    Node.objects.create(name="fs3", esl_host="127.0.0.1", esl_port=8023, esl_password="s3cret-pw",
                        enabled=False)
    names = [node.name for node in configured_nodes()]
    assert names == ["fs1"]
    assert "skipped" in caplog.text
    assert "s3cret-pw" not in caplog.text
