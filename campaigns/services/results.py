"""Results: FreeSWITCH events become attempt outcomes, retries and released agents (DESIGN step 5).

`apply_event(entry)` takes one entry of the listener's `{prefix}:events` stream (fields `node`,
`core`, `seq`, `name`, `data` = JSON headers with the body under `_body`) and applies it in one
database transaction. Every write is idempotent (timestamps only fill empty fields, an attempt
ends once: compare-and-set on `ended_at IS NULL`), so a redelivered event changes nothing.

An attempt ends on the FIRST of its leg A's CHANNEL_HANGUP_COMPLETE and a BACKGROUND_JOB
`-ERR <CAUSE>`: FreeSWITCH sends them in either order (capture README, "BACKGROUND_JOB vs hangup
order is not fixed"), and failures that never create a channel send only the BACKGROUND_JOB.

Legs: in `target_first` leg A is the callee and the agent is bridged from the inline plan; in
`agent_first` leg A is the agent and leg B (`variable_attempt_leg=target`) the callee, whose
hangup is stored on the attempt when it comes and read when leg A ends.

After the commit the Redis side is undone exactly once (the call record is deleted by whoever
gets there first): the agent is released (wrap-up after a bridged call; marked unregistered at
once after USER_NOT_REGISTERED), the call leaves the live-call sets, and a campaign with nothing
left to dial is completed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from campaigns.errors import IllegalTransition
from campaigns.models import (
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    Target,
    TargetState,
)
from campaigns.services import lifecycle
from campaigns.services.dialing import forget_call, load_call
from campaigns.services.outcomes import (
    ANSWERED,
    CANCELLED,
    UNREGISTERED_CAUSES,
    Leg,
    OutcomeClass,
    Retry,
    classify,
)

log = logging.getLogger(__name__)

ELSEWHERE_RETRY_SECONDS = 1.0  # node/trunk/agent failures: dial again soon, on a healthy node
MAX_UNCOUNTED_FAILURES = 10  # a target that fails this often for reasons not its own gives up
ON_CALL_LEASE_SECONDS = 4 * 3600.0  # an agent on a call holds the reservation this long at most
OPEN_STATES = (TargetState.PENDING, TargetState.QUEUED, TargetState.DIALING, TargetState.RETRY_WAIT)
_BRIDGE_CAUSE_VARS = (
    "variable_originate_disposition",
    "variable_last_bridge_hangup_cause",
    "variable_bridge_hangup_cause",
)


@dataclass(frozen=True)
class StreamEvent:
    """One decoded entry of the events stream."""

    node: str
    core: str
    seq: str
    name: str
    headers: Mapping[str, Any]

    def get(self, name: str, default: str = "") -> str:
        value = self.headers.get(name, default)
        if isinstance(value, list):  # a repeated header (Hangup-Cause twice): first wins
            value = value[0] if value else default
        return str(value)

    @property
    def body(self) -> str:
        return str(self.headers.get("_body", ""))

    @property
    def at(self) -> dt.datetime | None:
        """When FreeSWITCH raised the event (Event-Date-Timestamp, microseconds)."""
        return _us(self.get("Event-Date-Timestamp"))


def decode(entry: Mapping[Any, Any]) -> StreamEvent:
    """Decode a raw stream entry (bytes or str keys and values)."""
    fields = {_text(k): _text(v) for k, v in entry.items()}
    data = fields.get("data") or "{}"
    return StreamEvent(
        node=fields.get("node", ""),
        core=fields.get("core", ""),
        seq=fields.get("seq", ""),
        name=fields.get("name", ""),
        headers=json.loads(data),
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _us(value: str) -> dt.datetime | None:
    if not value or not value.isdigit() or int(value) == 0:
        return None
    return dt.datetime.fromtimestamp(int(value) / 1_000_000, tz=dt.UTC)


def _leading_pause_ms(dtmf: str) -> int:
    """The settle pauses rendered before the first digit (agent_first), in ms."""
    total = 0
    for char in dtmf:
        if char == "W":
            total += 1000
        elif char == "w":
            total += 500
        else:
            break
    return total


@dataclass
class Results:
    """Applies events; holds the Redis side it must undo (presence, pacer, call records)."""

    presence: Any
    pacer: Any
    redis: Any
    prefix: str

    # -- entry point ------------------------------------------------------------------------

    def apply(self, event: StreamEvent, now: dt.datetime) -> str:
        """Apply one event; return what it did (for logs and tests)."""
        handler = {
            "BACKGROUND_JOB": self._background_job,
            "CHANNEL_ANSWER": self._answer,
            "CHANNEL_BRIDGE": self._bridge,
            "CHANNEL_EXECUTE_COMPLETE": self._execute_complete,
            "CHANNEL_HANGUP_COMPLETE": self._hangup_complete,
        }.get(event.name)
        if handler is None:
            return "ignored"
        attempt = self._attempt_for(event)
        if attempt is None:
            return "unknown_call"
        return handler(event, attempt, now)

    def _attempt_for(self, event: StreamEvent) -> CallAttempt | None:
        """The attempt an event is about: by Job-UUID, attempt_id variable, or call uuid."""
        rows = CallAttempt.objects.select_related("campaign")
        if event.name == "BACKGROUND_JOB":
            job = event.get("Job-UUID")
            return rows.filter(job_uuid=job).first() if _is_uuid(job) else None
        attempt_id = event.get("variable_attempt_id")
        if attempt_id.isdigit():
            return rows.filter(id=int(attempt_id)).first()
        call_uuid = event.get("Unique-ID")
        return rows.filter(uuid=call_uuid).first() if _is_uuid(call_uuid) else None

    @staticmethod
    def _is_leg_a(event: StreamEvent, attempt: CallAttempt) -> bool:
        return event.get("Unique-ID") == str(attempt.uuid)

    @staticmethod
    def _is_target_leg(event: StreamEvent, attempt: CallAttempt) -> bool:
        if attempt.campaign.mode == CampaignMode.AGENT_FIRST:
            return event.get("variable_attempt_leg") == "target"
        return event.get("Unique-ID") == str(attempt.uuid)

    # -- handlers ---------------------------------------------------------------------------

    def _background_job(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        body = event.body.strip()
        if body.startswith("+OK"):
            CallAttempt.objects.filter(id=attempt.id, originated_at__isnull=True).update(
                originated_at=event.at or now
            )
            return "job_ok"
        cause = body.removeprefix("-ERR").strip().split()[0] if body.startswith("-ERR") else ""
        cause = cause or "NORMAL_UNSPECIFIED"
        leg = Leg.AGENT if attempt.campaign.mode == CampaignMode.AGENT_FIRST else Leg.TARGET
        return self.finish(attempt, cause, classify(cause, leg), now, billsec=0)

    def _answer(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        if not self._is_target_leg(event, attempt):
            return "agent_answered"
        CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
            answered_at=event.at or now
        )
        return "answered"

    def _bridge(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        updated = CallAttempt.objects.filter(id=attempt.id, bridged_at__isnull=True).update(
            bridged_at=event.at or now
        )
        record = load_call(self.redis, self.prefix, str(attempt.uuid))
        if updated and record is not None:
            self.presence.mark(record.token, "on_call", now.timestamp(), ON_CALL_LEASE_SECONDS)
        return "bridged"

    def _execute_complete(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        if event.get("Application") != "send_dtmf":
            return "ignored"
        at = event.at or now
        # agent_first renders the settle delay as leading pauses: the first tone starts after them.
        at += dt.timedelta(milliseconds=_leading_pause_ms(event.get("Application-Data")))
        CallAttempt.objects.filter(id=attempt.id, dtmf_sent_at__isnull=True).update(
            dtmf_sent_at=at
        )
        return "dtmf_sent"

    def _hangup_complete(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        cause = event.get("Hangup-Cause") or "NORMAL_UNSPECIFIED"
        billsec = _int(event.get("variable_billsec"))
        answered = _us(event.get("Caller-Channel-Answered-Time"))
        mode = attempt.campaign.mode
        if not self._is_leg_a(event, attempt):
            if mode == CampaignMode.AGENT_FIRST and self._is_target_leg(event, attempt):
                # The callee's leg ended: keep its cause and talk time for when leg A ends.
                CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=True).update(
                    hangup_cause=cause, billsec=billsec
                )
                if answered:
                    CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                        answered_at=answered
                    )
                return "target_leg_ended"
            return "ignored"

        attempt.refresh_from_db()
        bridge_cause = next(
            (event.get(name) for name in _BRIDGE_CAUSE_VARS if event.get(name)), ""
        )
        if mode == CampaignMode.AGENT_FIRST:
            if not answered:
                return self.finish(attempt, cause, classify(cause, Leg.AGENT), now, billsec=0)
            if attempt.answered_at:
                return self.finish(attempt, "NORMAL_CLEARING", ANSWERED, now,
                                   billsec=attempt.billsec or billsec)
            target_cause = attempt.hangup_cause or bridge_cause or cause
            return self.finish(attempt, target_cause, classify(target_cause, Leg.TARGET), now,
                               billsec=0)

        # target_first: leg A is the callee.
        if not (answered or attempt.answered_at):
            return self.finish(attempt, cause, classify(cause, Leg.TARGET), now, billsec=0)
        if attempt.bridged_at is None and bridge_cause:
            # The callee answered but the agent's leg failed: presence was stale (or the agent
            # did not pick up). Not the callee's fault: dial again without counting.
            return self.finish(attempt, bridge_cause, classify(bridge_cause, Leg.AGENT), now,
                               billsec=billsec, answered_at=answered)
        return self.finish(attempt, cause, ANSWERED, now, billsec=billsec, answered_at=answered)

    # -- ending an attempt --------------------------------------------------------------------

    def finish(self, attempt: CallAttempt, cause: str, klass: OutcomeClass, now: dt.datetime,
               *, billsec: int, answered_at: dt.datetime | None = None) -> str:
        """End the attempt once, move its target on, then give back agent and live-call slot."""
        with transaction.atomic():
            fields: dict[str, Any] = {
                "outcome": klass.outcome,
                "hangup_cause": cause[:64],
                "billsec": billsec,
                "ended_at": now,
                "counts_as_attempt": klass.counts_as_attempt,
            }
            # Compare-and-set: the second of (HANGUP_COMPLETE, BACKGROUND_JOB) finds it ended.
            ended = CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=True)
            if not ended.update(**fields):
                return "already_ended"
            if answered_at is not None:
                CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                    answered_at=answered_at
                )
            target = Target.objects.select_for_update().get(id=attempt.target_id)
            campaign = Campaign.objects.get(id=attempt.campaign_id)
            self._move_target(target, campaign, klass, cause, now)
            call_uuid = str(attempt.uuid)
            bridged = attempt.bridged_at is not None or klass is ANSWERED
            transaction.on_commit(
                lambda: self._release(call_uuid, cause, bridged, campaign.id, now)
            )
        return str(klass.outcome)

    def _move_target(self, target: Target, campaign: Campaign, klass: OutcomeClass, cause: str,
                     now: dt.datetime) -> None:
        """Apply the retry policy: final, later (counted), or soon elsewhere (not counted)."""
        attempts = target.attempts + (1 if klass.counts_as_attempt else 0)
        retry_after: float | None = None
        if klass is ANSWERED:
            state = TargetState.COMPLETED
        elif klass is CANCELLED or klass.retry is Retry.FINAL:
            state = TargetState.CANCELLED if klass is CANCELLED else TargetState.FAILED
        elif klass.retry in (Retry.ELSEWHERE, Retry.UNKNOWN):
            uncounted = CallAttempt.objects.filter(
                target_id=target.id, counts_as_attempt=False, ended_at__isnull=False
            ).count()
            if uncounted >= MAX_UNCOUNTED_FAILURES:
                state = TargetState.FAILED
            elif klass.retry is Retry.UNKNOWN:  # it may have answered: never dial again soon
                state, retry_after = TargetState.RETRY_WAIT, campaign.retry_no_answer_seconds
            else:
                state, retry_after = TargetState.RETRY_WAIT, ELSEWHERE_RETRY_SECONDS
        elif attempts >= campaign.max_attempts:
            state = TargetState.FAILED
        else:
            state = TargetState.RETRY_WAIT
            retry_after = {
                Retry.BUSY: campaign.retry_busy_seconds,
                Retry.NO_ANSWER: campaign.retry_no_answer_seconds,
            }.get(klass.retry, campaign.retry_failed_seconds)
        if retry_after is not None and campaign.status in (
            CampaignStatus.CANCELLED, CampaignStatus.COMPLETED
        ):
            state, retry_after = TargetState.CANCELLED, None  # cancel also stops retries
        next_at = None if retry_after is None else now + dt.timedelta(seconds=retry_after)
        Target.objects.filter(id=target.id).update(
            state=state,
            attempts=attempts,
            last_outcome=klass.outcome,
            last_hangup_cause=cause[:64],
            next_attempt_at=next_at,
            updated_at=now,
        )

    def _release(self, call_uuid: str, cause: str, bridged: bool, campaign_id: int,
                 now: dt.datetime) -> None:
        """After commit: undo the Redis side exactly once, then complete an exhausted campaign."""
        record = load_call(self.redis, self.prefix, call_uuid)
        if record is not None and forget_call(self.redis, self.prefix, call_uuid):
            ts = now.timestamp()
            if cause in UNREGISTERED_CAUSES:
                self.presence.release_agent_unregistered(record.token, record.node, ts)
            else:
                self.presence.release(record.token, ts, record.wrapup_seconds if bridged else 0)
            self.pacer.remove_call(record.scopes, call_uuid)
        complete_if_exhausted(campaign_id, now)


def complete_if_exhausted(campaign_id: int, now: dt.datetime) -> bool:
    """Complete a running (or paused) campaign that has no target left to dial."""
    if Target.objects.filter(campaign_id=campaign_id, state__in=OPEN_STATES).exists():
        return False
    campaign = Campaign.objects.filter(
        id=campaign_id, status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).first()
    if campaign is None:
        return False
    try:
        lifecycle.complete(campaign, reason="every target reached a final state", now=now)
    except IllegalTransition:
        return False  # someone else completed or cancelled it meanwhile
    return True


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _is_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
