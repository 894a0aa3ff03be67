"""The dial task: a thin shell over `campaigns.services.call_path.dialing` (STYLE rule 7)."""

from __future__ import annotations

import logging

from workers.celery import DIAL_BATCH, app
from workers.wiring import dialer

log = logging.getLogger(__name__)


@app.task(name=DIAL_BATCH)
def dial_batch(target_ids: list[int], node: str | None = None) -> dict[str, int]:
    """Dial each claimed (queued) target of the batch on its own; return the tally."""
    tally = dialer().dial_batch(target_ids, node)
    log.info("dial batch of %d: %s", len(target_ids), tally)
    return tally
