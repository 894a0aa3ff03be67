"""CDR posts: FreeSWITCH's own record of each call leg, a second source of outcomes.

The listener's event path can lose an outcome (a listener killed while calls are answered, a
Redis restart). mod_json_cdr / mod_xml_cdr post every leg's CDR from the channel's reporting
state, BEFORE CHANNEL_HANGUP_COMPLETE is fired (fixtures README, "When the posts are sent"), and
what they cannot post stays in err-log-dir for the sweeper (`sweep_cdrs`). So:

1. `record_leg` stores one leg's record once (unique leg uuid: a leg posted twice, by both
   modules or by a retry and a sweep, is stored once) and ties it to its attempt: by the
   `attempt_id` variable, else through `call_uuid` / `signal_bond` / `bridge_uuid`, which name our
   origination uuid on the agent's leg (target_first) and the callee's (agent_first).
2. `settle` ends the attempt from its records once the deciding leg is there (leg A: the callee in
   target_first, the agent in agent_first), with the same rules as the event path, through
   `Results.finish` (compare-and-set on `ended_at`: whichever of the event and the CDR comes first
   ends it, the other changes nothing).
3. An attempt the reconciler had to end without proof (`unknown`, or answered with no talk time)
   is corrected when its CDR arrives later: its outcome is replaced, and its target moved by the
   real outcome if it was not dialled again (`Results.correct`, shared with the event path).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from campaigns.models import (
    CallAttempt,
    CallDetailRecord,
    CallLeg,
    CampaignMode,
    Outcome,
)
from campaigns.services.call_path.outcomes import ABANDONED, ANSWERED, Leg, OutcomeClass, classify
from campaigns.services.call_path.results import SETTLED_CDR, SETTLED_RECONCILE, Results
from telephony.cdr import CdrLeg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What an attempt's records prove."""

    cause: str
    klass: OutcomeClass
    billsec: int
    answered_at: dt.datetime | None
    agent_cause: str = ""  # the agent's leg failed with it: charged as on the event path
    # target_first, answered and never connected: how the agent's leg ended (the event path's
    # `agent_leg_cause`); `cause` stays the callee's own leg's.
    agent_leg_cause: str = ""
    ended_at: dt.datetime | None = None  # the call's own end (leg A's record), not our clock


def results_from_settings() -> Results:
    """A results applier for a web or management process (workers build theirs in wiring)."""
    return _results(settings.REDIS_URL, settings.REDIS_KEY_PREFIX)


@functools.cache
def _results(url: str, prefix: str) -> Results:
    """One Redis client (and connection pool) per process, URL and prefix."""
    import redis

    from telephony.pacing import Pacer
    from telephony.presence import PresenceStore

    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    return Results(presence=PresenceStore(client, prefix), pacer=Pacer(client, prefix),
                   redis=client, prefix=prefix)


def find_attempt(leg: CdrLeg) -> CallAttempt | None:
    """The attempt a leg belongs to: attempt_id when it agrees with the uuids, else the uuids."""
    uuids = [u for u in (leg.uuid, leg.call_uuid, leg.bridge_uuid, leg.origination_uuid) if u]
    rows = CallAttempt.objects.select_related("campaign")
    if leg.attempt_id is not None:
        attempt = rows.filter(id=leg.attempt_id).first()
        if attempt is not None and str(attempt.uuid) in uuids:
            return attempt
    # Leg A's own uuid first, then the uuids that name the other leg.
    for value in uuids:
        attempt = rows.filter(uuid=value).first()
        if attempt is not None:
            return attempt
    return None


def leg_kind(leg_uuid: str, attempt: CallAttempt) -> str:
    """Which party a leg is: leg A is the callee in target_first, the agent in agent_first."""
    is_a = leg_uuid == str(attempt.uuid)
    if attempt.campaign.mode == CampaignMode.AGENT_FIRST:
        return CallLeg.AGENT if is_a else CallLeg.TARGET
    return CallLeg.TARGET if is_a else CallLeg.AGENT


def record_leg(leg: CdrLeg, source: str, results: Results, now: dt.datetime) -> str:
    """Store one leg's CDR once and settle its attempt; return what it did."""
    attempt = find_attempt(leg)
    kind = leg_kind(leg.uuid, attempt) if attempt is not None else CallLeg.UNKNOWN
    try:
        with transaction.atomic():
            # Unique leg uuid: the second post of a leg (other module, retry, sweep) fails here.
            CallDetailRecord.objects.create(
                leg_uuid=leg.uuid, attempt=attempt, leg=kind, source=source[:16],
                core_uuid=leg.core_uuid, switchname=leg.switchname, call_uuid=leg.call_uuid,
                bridge_uuid=leg.bridge_uuid, hangup_cause=leg.hangup_cause,
                hangup_cause_q850=leg.hangup_cause_q850,
                sip_hangup_disposition=leg.sip_hangup_disposition,
                originate_disposition=leg.originate_disposition, dialstatus=leg.dialstatus,
                bridge_cause=leg.bridge_cause, started_at=leg.started_at,
                answered_at=leg.answered_at, bridged_at=leg.bridged_at, ended_at=leg.ended_at,
                billsec=leg.billsec, billmsec=leg.billmsec, received_at=now,
            )
    except IntegrityError:
        return "duplicate"
    if attempt is None:
        log.info("CDR for leg %s matches no attempt", leg.uuid)
        return "no_attempt"
    return settle(attempt, results, now)


def verdict(attempt: CallAttempt, *, force: bool = False) -> Verdict | None:
    """What the attempt's records prove, or None while the deciding leg has not come.

    `force` (the reconciler, long after the call) decides from whichever legs there are.
    """
    records = {r.leg: r for r in CallDetailRecord.objects.filter(attempt_id=attempt.id)}
    target, agent = records.get(CallLeg.TARGET), records.get(CallLeg.AGENT)
    found = _verdict(attempt, target, agent, force=force)
    if found is None:
        return None
    leg_a = agent if attempt.campaign.mode == CampaignMode.AGENT_FIRST else target
    ends = [r.ended_at for r in (leg_a, target, agent) if r is not None and r.ended_at]
    return dataclasses.replace(found, ended_at=ends[0] if ends else None)


def _verdict(attempt: CallAttempt, target: CallDetailRecord | None,
             agent: CallDetailRecord | None, *, force: bool) -> Verdict | None:
    if attempt.campaign.mode == CampaignMode.AGENT_FIRST:
        if agent is None and not (force and target is not None):
            return None
        if agent is not None and agent.answered_at is None:
            return Verdict(agent.hangup_cause, classify(agent.hangup_cause, Leg.AGENT), 0, None,
                           agent_cause=agent.hangup_cause)
        answered = (target.answered_at if target else None) or attempt.answered_at
        if answered or (agent is not None and agent.bridged_at is not None):
            billsec = (target.billsec if target else 0) or (agent.billsec if agent else 0)
            return Verdict("NORMAL_CLEARING", ANSWERED, billsec,
                           answered or (agent.bridged_at if agent else None))
        cause = ((target.hangup_cause if target else "") or attempt.hangup_cause
                 or (agent.bridge_cause if agent else "") or "NORMAL_UNSPECIFIED")
        return Verdict(cause, classify(cause, Leg.TARGET), 0, None)
    # target_first: leg A is the callee.
    if target is None:
        return None
    answered = target.answered_at or attempt.answered_at
    if answered is None:
        return Verdict(target.hangup_cause, classify(target.hangup_cause, Leg.TARGET), 0, None)
    bridged = target.bridged_at or attempt.bridged_at or (agent.bridged_at if agent else None)
    bridge_cause = target.bridge_cause if target.originate_disposition != "SUCCESS" else ""
    if bridged is None:
        # As on the event path: answered and never connected to an agent is the callee's
        # abandon, whether the agent's leg failed (41) or the callee hung up first (28).
        # The agent's failed leg (41: USER_BUSY) is charged to the agent; a callee who hung up
        # first (ORIGINATOR_CANCEL) costs the agent nothing (penalties.agent_penalty).
        # hangup_cause is the callee's own leg's cause and agent_leg_cause the agent leg's
        # (issue 16 item 4: the event path's rule, whichever of the two arrives first).
        agent_leg = bridge_cause or target.originate_disposition
        if agent_leg == "SUCCESS":
            agent_leg = ""
        return Verdict(target.hangup_cause, ABANDONED, target.billsec, answered,
                       agent_cause=bridge_cause, agent_leg_cause=agent_leg)
    return Verdict(target.hangup_cause, ANSWERED, target.billsec, answered)


def settle(attempt: CallAttempt, results: Results, now: dt.datetime, *,
           force: bool = False) -> str:
    """End (or correct an `unknown`) attempt from its records; return what it did."""
    _fill_times(attempt)
    found = verdict(attempt, force=force)
    if found is None:
        return "waiting_for_leg_a"
    attempt.refresh_from_db()
    if attempt.ended_at is None:
        return results.finish(attempt, found.cause, found.klass, now, billsec=found.billsec,
                              answered_at=found.answered_at, agent_cause=found.agent_cause,
                              agent_leg_cause=found.agent_leg_cause, ended_at=found.ended_at,
                              settled_by=SETTLED_CDR)
    if attempt.outcome == Outcome.UNKNOWN or attempt.settled_by == SETTLED_RECONCILE:
        return correct_unknown(attempt, found, results, now)
    return "already_ended"


def _fill_times(attempt: CallAttempt) -> None:
    """Answer and bridge times the events never delivered, from the records (fill empty only)."""
    for record in CallDetailRecord.objects.filter(attempt_id=attempt.id):
        is_target = record.leg == CallLeg.TARGET
        if is_target and record.answered_at:
            CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                answered_at=record.answered_at)
        if record.bridged_at:
            CallAttempt.objects.filter(id=attempt.id, bridged_at__isnull=True).update(
                bridged_at=record.bridged_at)


def correct_unknown(attempt: CallAttempt, found: Verdict, results: Results,
                    now: dt.datetime) -> str:
    """Replace what reconcile settled without proof (`unknown`, or answered with no talk time)
    by what the CDR proves; move the target if nothing moved it since."""
    return results.correct(attempt, found.cause, found.klass, now, billsec=found.billsec,
                           answered_at=found.answered_at, agent_leg_cause=found.agent_leg_cause,
                           ended_at=found.ended_at, settled_by=SETTLED_CDR)
