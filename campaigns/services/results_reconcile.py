"""Reconcile: end what events never ended (DESIGN step 6).

Events can be lost (a consumer down, a listener failover, a node that died with calls on it).
Run on every NODE_CONNECTED and periodically, per node, with the node's live channel list:

1. An attempt still open past its originate timeout (plus settle delay and a margin) whose
   channel the node does not list is ended only from what is proven: by its CDRs when
   FreeSWITCH posted them (campaigns.services.cdr), as answered when we saw the callee connected
   to an agent (final: never dialled twice), else as `unknown`: the lost events may have been an
   answer (or, for a callee we saw answer, the bridge to an agent: a CHANNEL_BRIDGE never seen
   does not prove an abandon), so it is dialled again only after the campaign's no-answer delay,
   and after the abandon delay too if the callee was seen to answer (a CDR arriving later, posted
   or swept, corrects it). The row was written before the originate, so a call placed by a worker
   that died right after is ended here too.
2. When the node cannot be asked and presence has declared it lost, its overdue attempts end
   the same way: a call on a dead node died with it.
3. A target left `dialing` with no open attempt (its worker died between the compare-and-set and
   the attempt row) goes back to pending without counting.
4. A running or paused campaign with nothing left to dial is completed, however its last
   targets were settled (do-not-call added after import, a value the grammar refused).

Reservations need no reaper: a lease lapses by itself in the presence store.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from campaigns.models import (
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    Target,
    TargetState,
)
from campaigns.services.cdr import settle
from campaigns.services.outcomes import ANSWERED, UNKNOWN
from campaigns.services.results import OPEN_STATES, Results, complete_if_exhausted

log = logging.getLogger(__name__)

MARGIN_SECONDS = 5.0
ORPHAN_DIALING_SECONDS = 30.0  # a dialer holds a target dialing without an attempt for ~1 s


def live_uuids(show_channels_json: str) -> set[str]:
    """The channel uuids in `show channels as json` output (`{"row_count":0}` when idle)."""
    data = json.loads(show_channels_json or "{}")
    return {row["uuid"] for row in data.get("rows", []) if row.get("uuid")}


def reconcile_node(results: Results, node: str, live: set[str] | None, now: dt.datetime, *,
                   node_lost: bool = False) -> int:
    """End the node's overdue attempts with no live channel; return how many were ended.

    `live` is None when the node could not be asked: then only a node declared lost is settled.
    """
    if live is None and not node_lost:
        return 0
    ended = 0
    rows = CallAttempt.objects.select_related("campaign").filter(node=node, ended_at__isnull=True)
    for attempt in rows:
        campaign = attempt.campaign
        deadline = attempt.created_at + dt.timedelta(
            seconds=campaign.originate_timeout + campaign.dtmf_settle_ms / 1000 + MARGIN_SECONDS
        )
        if now < deadline:
            continue
        if live is not None and str(attempt.uuid) in live:
            continue  # a long call in progress
        # Ask before ending: the CDRs prove what happened; without them an answer is possible.
        result = settle(attempt, results, now, force=True)
        if result == "waiting_for_leg_a":
            connected = attempt.bridged_at is not None or (
                attempt.answered_at is not None and campaign.mode == CampaignMode.AGENT_FIRST)
            if connected:
                result = results.finish(attempt, "NORMAL_CLEARING", ANSWERED, now, billsec=0)
            else:
                # No bridge seen is no proof that none happened: the events that would say so
                # are the ones lost. A callee we saw answer may have talked to an agent (final)
                # or been abandoned (retried after the abandon delay): `unknown` waits for the
                # CDR to tell, and meanwhile the longer of the two delays (results.finish).
                result = results.finish(attempt, "OUTCOME_UNKNOWN", UNKNOWN, now, billsec=0)
        if result != "already_ended":
            ended += 1
            log.warning("reconcile: attempt %s on %s ended as %s", attempt.id, node, result)
    return ended


def reap_orphan_dialing(now: dt.datetime, older_than: float = ORPHAN_DIALING_SECONDS) -> int:
    """Targets `dialing` with no open attempt for a while go back to pending (not counted)."""
    open_attempt = CallAttempt.objects.filter(target_id=OuterRef("id"), ended_at__isnull=True)
    stale = Target.objects.filter(
        state=TargetState.DIALING, updated_at__lt=now - dt.timedelta(seconds=older_than)
    ).filter(~Exists(open_attempt))
    ids: Iterable[int] = list(stale.values_list("id", flat=True)[:1000])
    # Compare-and-set per state: a dialer that is merely slow still holds it as dialing, and
    # the attempt check above is repeated in the UPDATE's WHERE through the same subquery.
    return Target.objects.filter(id__in=list(ids), state=TargetState.DIALING).filter(
        ~Exists(open_attempt)
    ).update(state=TargetState.PENDING, next_attempt_at=None, updated_at=now)


def complete_exhausted_campaigns(now: dt.datetime) -> int:
    """Step 4: complete every running or paused campaign with no open target; return how many."""
    open_target = Target.objects.filter(campaign_id=OuterRef("id"), state__in=OPEN_STATES)
    # A campaign with no target at all is waiting for its import, not finished.
    any_target = Target.objects.filter(campaign_id=OuterRef("id"))
    ids = Campaign.objects.filter(
        status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).filter(Exists(any_target), ~Exists(open_target)).values_list("id", flat=True)
    return sum(complete_if_exhausted(campaign_id, now) for campaign_id in list(ids))
