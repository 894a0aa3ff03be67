"""The FreeSWITCH nodes in use: those in settings plus the enabled ones in the database."""

from __future__ import annotations

import logging

from django.conf import settings

from campaigns.models import Node
from telephony.config import NodeConfig

log = logging.getLogger(__name__)


def configured_nodes() -> list[NodeConfig]:
    """Return every enabled node; a database row overrides a settings entry of the same name."""
    nodes: dict[str, NodeConfig] = {node.name: node for node in settings.FREESWITCH_NODES}
    for row in Node.objects.filter(enabled=True):
        try:
            nodes[row.name] = NodeConfig(
                name=row.name,
                host=row.esl_host,
                port=row.esl_port,
                password=row.esl_password,
                sip_profile=row.sip_profile,
                max_sessions=row.max_sessions,
                max_cps=row.max_cps,
            )
        except ValueError as exc:
            # One bad row (saved before a rule tightened, or by raw SQL) must not stop the
            # tick, the workers and the listener for every other node: skip it, loudly.
            log.error("node row %s skipped: %s", row.pk, exc)
    return [nodes[name] for name in sorted(nodes)]
