"""Reconcile: end what events never ended (DESIGN step 6).

Events can be lost (a consumer down, a listener failover, a node that died with calls on it).
Run on every NODE_CONNECTED and periodically, per node, with the node's live channel list:

1. An attempt still open past its originate timeout (plus settle delay and a margin) whose
   channel the node does not list is ended only from what is proven: by its CDRs when
   FreeSWITCH posted them (campaigns.services.call_path.cdr), as answered when we saw the callee
   connected to an agent (final: never dialled twice), else as `unknown`: the lost events may
   have been an answer (or, for a callee we saw answer, the bridge to an agent: a CHANNEL_BRIDGE
   never seen does not prove an abandon), so it is dialled again only after the campaign's
   no-answer delay, and after the abandon delay too if the callee was seen to answer (a CDR
   arriving later, posted or swept, corrects it). The row was written before the originate, so a
   call placed by a worker that died right after is ended here too. Nothing is ended while the
   node's events are still on the way (the events stream holds entries of that node the
   consumer has not finished: telephony.eventlog), and an event or CDR that comes after reconcile
   settled an
   attempt corrects it (`Results.correct`).
2. When the node cannot be asked and presence has declared it lost, its overdue attempts end
   the same way: a call on a dead node died with it.
3. A target left `dialing` with no open attempt (its worker died between the compare-and-set and
   the attempt row) goes back to pending without counting.
4. A running or paused campaign with nothing left to dial is completed, however its last
   targets were settled (do-not-call added after import, a value the grammar refused).
5. An open attempt whose channel the node lists is a call in progress. If Redis lost what the
   dialer booked for it (restarted or flushed), that is put back, idempotently: its place in
   the live-call sets (trunk, node, campaign), the dialer's call record (so its hangup gives
   everything back exactly once), the floor's entry, and its agent held as ringing/on_call
   (never routable while on a live call). Once the node's list was compared, the node is
   marked rebuilt (telephony.pacing): the tick gives no room to a node without the marker.

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
from campaigns.services.call_path.cdr import settle
from campaigns.services.call_path.outcomes import ANSWERED, UNKNOWN
from campaigns.services.call_path.results import (
    ON_CALL_LEASE_SECONDS,
    SETTLED_RECONCILE,
    Results,
)
from campaigns.services.lifecycle import complete_if_exhausted
from telephony.call_records import CallRecord, forget_call, load_call, restore_call
from telephony.eventlog import EventLog
from telephony.floor import LiveCall, LiveCalls, call_state

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
    # The consumer has not finished the node's events yet (lagging, paused, failing): they
    # may answer or end these calls, so nothing is settled from their absence now. Live calls
    # are still rebuilt. A node declared lost is settled all the same: its calls died with it.
    behind = not node_lost and EventLog(results.redis, results.prefix).behind(node)
    ended = 0
    rows = CallAttempt.objects.select_related("campaign", "agent", "target").filter(
        node=node, ended_at__isnull=True)
    for attempt in rows:
        campaign = attempt.campaign
        if live is not None and str(attempt.uuid) in live:
            rebuild_call(results, attempt, now)  # step 5: a call in progress
            continue
        deadline = attempt.created_at + dt.timedelta(
            seconds=campaign.originate_timeout + campaign.dtmf_settle_ms / 1000 + MARGIN_SECONDS
        )
        if now < deadline:
            continue
        if behind:
            log.info("reconcile: %s has events not yet applied; attempt %s waits for them",
                     node, attempt.id)
            continue
        # Ask before ending: the CDRs prove what happened; without them an answer is possible.
        result = settle(attempt, results, now, force=True)
        if result == "waiting_for_leg_a":
            connected = attempt.bridged_at is not None or (
                attempt.answered_at is not None and campaign.mode == CampaignMode.AGENT_FIRST)
            if connected:
                result = results.finish(attempt, "NORMAL_CLEARING", ANSWERED, now, billsec=0,
                                        settled_by=SETTLED_RECONCILE)
            else:
                # No bridge seen is no proof that none happened: the events that would say so
                # are the ones lost. A callee we saw answer may have talked to an agent (final)
                # or been abandoned (retried after the abandon delay): `unknown` waits for the
                # CDR to tell, and meanwhile the longer of the two delays (results.finish).
                result = results.finish(attempt, "OUTCOME_UNKNOWN", UNKNOWN, now, billsec=0,
                                        settled_by=SETTLED_RECONCILE)
        if result != "already_ended":
            ended += 1
            log.warning("reconcile: attempt %s on %s ended as %s", attempt.id, node, result)
    if live is not None:
        # Every live call of this node is in the sets now: the tick may count on them.
        results.pacer.mark_rebuilt(node, now.timestamp())
    return ended


def rebuild_call(results: Results, attempt: CallAttempt, now: dt.datetime) -> bool:
    """Step 5: put back what Redis lost of a call the node still lists; True when rebuilt.

    A call whose record survived is left as it is: the dialer wrote the record and the set
    memberships in one MULTI, so they survived together. Re-adding the members anyway would race
    a hangup releasing them right now and leave a member that nothing removes.
    """
    campaign = attempt.campaign
    call_uuid = str(attempt.uuid)
    scopes = (f"trunk:{campaign.trunk_id}", f"node:{attempt.node}", f"campaign:{campaign.id}")
    if load_call(results.redis, results.prefix, call_uuid) is not None:
        return False
    ts = now.timestamp()
    agent = attempt.agent
    agent_key = agent.presence_key if agent is not None else ""
    # The nonce names the rebuild; the agent after the colon is what release() parses.
    token = f"rebuilt{attempt.uuid.hex}:{agent_key}" if agent_key else ""
    record = CallRecord(attempt.id, attempt.node, agent_key, token, scopes, campaign.mode,
                        agent.wrapup_seconds if agent is not None else 0)
    # NX: a record the dialer or a concurrent reconcile wrote meanwhile is never overwritten.
    if not restore_call(results.redis, results.prefix, call_uuid, record):
        return False
    results.pacer.add_call(scopes, call_uuid)
    answered = attempt.answered_at is not None
    bridged = attempt.bridged_at is not None
    started = (attempt.originated_at or attempt.created_at).timestamp()
    target = attempt.target
    floor = LiveCalls(results.redis, results.prefix)
    floor.add(LiveCall(
        uuid=call_uuid, number=target.number, extension=target.extension,
        campaign_id=campaign.id, campaign=campaign.name, target_id=target.id,
        attempt_id=attempt.id, node=attempt.node, agent=agent_key,
        state=call_state(answered, bool(target.extension), bridged, bridged),
        started_at=started, state_at=ts))
    floor.progress(call_uuid, ts, answered=answered, digits_done=bridged, bridged=bridged)
    if token and not results.presence.hold(agent_key, token,
                                           "on_call" if answered or bridged else "ringing",
                                           attempt.node, ts, ON_CALL_LEASE_SECONDS):
        log.warning("reconcile: agent %s of live call %s is held by another call",
                    agent_key, call_uuid)
    log.warning("reconcile: rebuilt live call %s (attempt %s) on %s after Redis lost it",
                call_uuid, attempt.id, attempt.node)
    # The hangup may have been applied while we rebuilt (it found no record then): give back
    # what we just took, exactly once (forget_call is the one winner).
    if CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=False).exists() and \
            forget_call(results.redis, results.prefix, call_uuid):
        if token:
            results.presence.release(token, ts, 0)
        results.pacer.remove_call(scopes, call_uuid)
    return True


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
    open_target = Target.objects.filter(campaign_id=OuterRef("id"),
                                        state__in=TargetState.open_states())
    # A campaign with no target at all is waiting for its import, not finished.
    any_target = Target.objects.filter(campaign_id=OuterRef("id"))
    ids = Campaign.objects.filter(
        status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).filter(Exists(any_target), ~Exists(open_target)).values_list("id", flat=True)
    return sum(complete_if_exhausted(campaign_id, now) for campaign_id in list(ids))
