"""Claiming due targets for dialling, and returning those whose dial task was lost."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from campaigns.models import Campaign, Target, TargetState

log = logging.getLogger(__name__)

# TEST ONLY: when False the claim reads due rows without locking them, so two claimers can hand
# out the same target. It exists so the concurrency control test can show the race is real.
CLAIM_GUARD = True


_CLAIM_SQL = """
WITH retry AS (
    SELECT id FROM campaigns_target
    WHERE campaign_id = %(campaign)s AND state = 'retry_wait' AND next_attempt_at <= %(now)s
      {zone_filter}
    ORDER BY next_attempt_at, id LIMIT %(limit)s {lock}
), undated AS (
    SELECT id FROM campaigns_target
    WHERE campaign_id = %(campaign)s AND state = 'retry_wait' AND next_attempt_at IS NULL
      {zone_filter}
    ORDER BY next_attempt_at, id LIMIT %(limit)s {lock}
), later AS (
    SELECT id FROM campaigns_target
    WHERE campaign_id = %(campaign)s AND state = 'pending' AND next_attempt_at <= %(now)s
      {zone_filter}
    ORDER BY next_attempt_at, id LIMIT %(limit)s {lock}
), fresh AS (
    SELECT id FROM campaigns_target
    WHERE campaign_id = %(campaign)s AND state = 'pending' AND next_attempt_at IS NULL
      {zone_filter}
    -- (next_attempt_at, id), not just id: the order of target_due_idx, so the scan starts at
    -- the first due row instead of walking the primary key past every row already dialled.
    ORDER BY next_attempt_at, id LIMIT %(limit)s {lock}
), picked AS (
    SELECT id FROM (
        SELECT id, 0 AS rank FROM retry
        UNION ALL SELECT id, 0 FROM undated
        UNION ALL SELECT id, 1 FROM later
        UNION ALL SELECT id, 2 FROM fresh
    ) due ORDER BY rank, id LIMIT %(limit)s
)
UPDATE campaigns_target AS t SET state = 'queued', updated_at = %(now)s
FROM picked WHERE t.id = picked.id
RETURNING t.id
"""


def claim_due_targets(campaign_id: int, limit: int, now: dt.datetime,
                      zones: Sequence[str] | None = None) -> list[int]:
    """Move up to `limit` due targets of one campaign to queued, in one statement; return ids.

    Due: pending or retry_wait with next_attempt_at empty or past; retries first, then the oldest.
    `zones`, when given, keeps only targets whose own zone is listed ('' = the campaign's zone).
    Each branch walks the (campaign, state, next_attempt_at, id) index and stops at `limit`.
    The zone list is a filter on that walk: rows of closed zones are stepped over, so a campaign
    whose targets are nearly all in closed zones costs more than its budget (never a table scan
    of other campaigns, and a zone mix that is that lopsided is rare).
    """
    if limit <= 0 or zones == []:
        return []
    if connection.vendor == "postgresql":
        return _claim_postgresql(campaign_id, limit, now, zones)
    return _claim_portable(campaign_id, limit, now, zones)


def _claim_postgresql(campaign_id: int, limit: int, now: dt.datetime,
                      zones: Sequence[str] | None) -> list[int]:
    # The race: two ticks (or a tick and an operator) claim the same rows at once. FOR UPDATE
    # SKIP LOCKED makes each row go to exactly one claimer; the loser skips it, never waits.
    sql = _CLAIM_SQL.format(
        zone_filter="AND timezone = ANY(%(zones)s)" if zones is not None else "",
        lock="FOR UPDATE SKIP LOCKED" if CLAIM_GUARD else "",
    )
    params = {"campaign": campaign_id, "now": now, "limit": limit, "zones": list(zones or [])}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _claim_portable(campaign_id: int, limit: int, now: dt.datetime,
                    zones: Sequence[str] | None) -> list[int]:
    """SQLite (the embedded demo): one writer at a time, so read-then-compare-and-set is safe."""
    due = Target.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        campaign_id=campaign_id, state__in=(TargetState.PENDING, TargetState.RETRY_WAIT),
    )
    if zones is not None:
        due = due.filter(timezone__in=list(zones))
    with transaction.atomic():
        ids = list(due.order_by("id").values_list("id", flat=True)[:limit])
        # Compare-and-set on the state: a row another claimer took meanwhile is not moved.
        Target.objects.filter(
            id__in=ids, state__in=(TargetState.PENDING, TargetState.RETRY_WAIT)
        ).update(state=TargetState.QUEUED, updated_at=now)
        return sorted(
            Target.objects.filter(id__in=ids, state=TargetState.QUEUED).values_list("id", flat=True)
        )


def reap_queued(now: dt.datetime, timeout_seconds: float | None = None, limit: int = 1000) -> int:
    """Return targets stuck queued past the timeout (their dial task was lost) to pending.

    No attempt is counted: the call was never placed (the dial task moves queued -> dialing
    before it places a call, and reaps its own stuck dialing attempts).
    """
    timeout = (settings.DISPATCH_QUEUED_TIMEOUT_SECONDS if timeout_seconds is None
               else timeout_seconds)
    cutoff = now - dt.timedelta(seconds=timeout)
    moved = 0
    # Per campaign, so each look-up walks the (campaign, state, ...) index, never the table.
    for campaign_id in Campaign.objects.order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            ids = list(Target.objects.filter(campaign_id=campaign_id, state=TargetState.QUEUED,
                                             updated_at__lt=cutoff)
                       .order_by("id").values_list("id", flat=True)[:limit])
            if not ids:
                continue
            # Compare-and-set: a dial task that just woke up may move one to dialing meanwhile.
            moved += Target.objects.filter(id__in=ids, state=TargetState.QUEUED,
                                           updated_at__lt=cutoff).update(
                state=TargetState.PENDING, updated_at=now)
    if moved:
        log.warning("reaper: %d targets were stuck queued for over %ss; back to pending",
                    moved, timeout)
    return moved
