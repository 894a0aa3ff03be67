"""Supervisor controls from the floor: hang up one live call; consume the agent state log."""

from __future__ import annotations

import logging

from campaigns.services.floor.agent_log import consume_changes
from telephony.dialstring import render_uuid_kill
from telephony.errors import ESLError
from workers.celery import CONSUME_AGENT_LOG, HANGUP_CALL, app
from workers.pool import get_pool

log = logging.getLogger(__name__)


@app.task(name=HANGUP_CALL, acks_late=False, soft_time_limit=10, time_limit=20)
def hangup_call(node: str, call_uuid: str, actor: str = "") -> str:
    """`uuid_kill` one call on the node that carries it; the results side ends the attempt."""
    command = render_uuid_kill(call_uuid)  # the grammar again: a task message is input too
    try:
        reply = get_pool().api(node, command).strip()
    except (ESLError, KeyError) as exc:
        log.warning("hangup of %s on %s failed: %s", call_uuid, node, type(exc).__name__)
        return f"error: {type(exc).__name__}"
    log.info("call %s hung up on %s by %s: %s", call_uuid, node, actor or "?", reply[:80])
    return reply


@app.task(name=CONSUME_AGENT_LOG, acks_late=False, ignore_result=True, soft_time_limit=20,
          time_limit=30)
def consume_agent_log() -> int:
    """Move the presence change stream into AgentStateChange rows (drains up to a few batches)."""
    total = 0
    for _ in range(10):
        written = consume_changes()  # entries read (node events included)
        total += written
        if not written:
            break
    return total
