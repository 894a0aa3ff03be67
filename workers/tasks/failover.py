"""The failover task: a thin shell over `campaigns.services.call_path.failover` (STYLE rule 7)."""

from __future__ import annotations

import logging

from campaigns.services.call_path.failover import fail_over
from workers.celery import DIAL_FAILOVER, app
from workers.wiring import dialer

log = logging.getLogger(__name__)


@app.task(name=DIAL_FAILOVER)
def dial_failover(attempt_id: int) -> str:
    """Give a held callee another agent (or the abandon message); look again soon if none."""
    outcome, again = fail_over(attempt_id, dialer())
    if again:
        # A short wait for an agent to free up, bounded by the campaign's failover window.
        app.signature(DIAL_FAILOVER, args=(attempt_id,)).apply_async(countdown=again)
    log.info("failover of attempt %s: %s", attempt_id, outcome)
    return outcome
