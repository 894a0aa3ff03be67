"""The reconcile task (DESIGN step 6): a thin shell over
`campaigns.services.call_path.results_reconcile`."""

from __future__ import annotations

import datetime as dt
import logging

from campaigns.services.call_path.nodes import configured_nodes
from campaigns.services.call_path.results import release_unreleased
from campaigns.services.call_path.results_reconcile import (
    complete_exhausted_campaigns,
    live_uuids,
    reap_orphan_dialing,
    reconcile_node,
)
from campaigns.services.floor.dispositions import repair_callbacks
from telephony.errors import ESLError
from workers.celery import RECONCILE_CALLS, app
from workers.pool import get_pool
from workers.wiring import results

log = logging.getLogger(__name__)


@app.task(name=RECONCILE_CALLS, acks_late=False, soft_time_limit=30, time_limit=45)
def reconcile_calls(node: str | None = None) -> dict[str, int]:
    """End overdue attempts on one node (or every node), then reap orphaned dialing targets."""
    now = dt.datetime.now(tz=dt.UTC)
    applier = results()
    statuses = applier.presence.node_statuses()
    names = [node] if node else [config.name for config in configured_nodes()]
    ended: dict[str, int] = {}
    for name in names:
        try:
            live: set[str] | None = live_uuids(get_pool().api(name, "show channels as json"))
        except (ESLError, ValueError) as exc:
            log.warning("reconcile: cannot list channels on %s: %s", name, type(exc).__name__)
            live = None
        status = statuses.get(name)
        lost = status is None or status.state == "lost"
        ended[name] = reconcile_node(applier, name, live, now, node_lost=lost)
    if node is None:
        ended["orphans"] = reap_orphan_dialing(now)
        # Before completing campaigns: a call back still owed keeps (or makes) its campaign open.
        ended["callbacks_repaired"] = repair_callbacks(now)
        # Ended calls whose agent and live-call slots a Redis failure kept (issue 16 item 10).
        ended["released"] = release_unreleased(applier, now)
        ended["completed_campaigns"] = complete_exhausted_campaigns(now)
    return ended
