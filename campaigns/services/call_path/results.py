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
gets there first): the agent is released (wrap-up after a bridged call; a failed agent leg is
charged to the agent: `campaigns.services.call_path.penalties`), the call leaves the live-call
sets, and a campaign with nothing left to dial is completed.

The person who answered (target_first): the inline plan keeps the callee up when the agent's
leg fails (`continue_on_fail`, capture 35), so a failed agent leg shows up as leg A's
CHANNEL_EXECUTE_COMPLETE `bridge` with no CHANNEL_BRIDGE before it and the B cause in
`originate_disposition`. The agent is charged, the reservation given back, and `on_agent_failed`
(a Celery task in workers/) tries another agent while the callee hears ringback. A callee who
answered and was never connected ends `abandoned` (counted, retried after the campaign's abandon
delay), whatever the cause: never an uncounted retry-at-once, so nobody is called again and
again. `cancelled` is only ever a cancelled campaign's or our own uuid_kill's outcome.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from campaigns.models import (
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    ConnectPlan,
    Outcome,
    Target,
    TargetState,
    UnknownOutcome,
)
from campaigns.services import lifecycle
from campaigns.services.call_path import listening, penalties
from campaigns.services.call_path.outcomes import (
    ABANDONED,
    ABANDONED_BY_US,
    ANSWERED,
    CANCELLED,
    CONFIG,
    NO_PERSON,
    VOICEMAIL,
    Leg,
    OutcomeClass,
    Penalty,
    Retry,
    agent_penalty,
    classify,
)
from campaigns.services.floor.dispositions import disposed_target_fields
from telephony.call_records import CALL_TTL_SECONDS, forget_call, load_call, replace_call
from telephony.dialstring import DialstringError, dtmf_length_ms
from telephony.floor import LiveCalls
from telephony.listening import LISTEN_VARIABLE, Heard, attempt_of_ringback_key
from telephony.originate import ABANDON_PLAYED_MARK, DTMF_SENT_MARK

log = logging.getLogger(__name__)

ELSEWHERE_RETRY_SECONDS = 1.0  # node/trunk/agent failures: dial again soon, on a healthy node
# A target whose calls fail this often for node or trunk faults gives up. Agent and configuration
# failures never spend it: they are charged to the agent or the trunk instead.
MAX_UNCOUNTED_FAILURES = 10
# The uncounted failures that spend that budget (agent and configuration failures do not).
BUDGETED_OUTCOMES = (Outcome.NODE_FAILURE, Outcome.UNKNOWN)
ABANDON_AFTER_MS = 2000  # regulators (US TSR, UK Ofcom): no agent within 2 s of the answer
ON_CALL_LEASE_SECONDS = 4 * 3600.0  # an agent on a call holds the reservation this long at most
# A release claimed and not finished is retried by the sweep after this long.
RELEASE_CLAIM_SECONDS = 30
# What ended an attempt (CallAttempt.settled_by).
SETTLED_EVENTS, SETTLED_CDR, SETTLED_RECONCILE = "events", "cdr", "reconcile"
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


def _bridged_agent(data: str) -> str:
    """`user@domain` from a bridge's data (`{leg_timeout=15}user/1001@127.0.0.1`), else ""."""
    if data.startswith("{"):
        data = data[data.find("}") + 1:]
    return data.removeprefix("user/") if data.startswith("user/") else ""


@dataclass
class Results:
    """Applies events; holds the Redis side it must undo (presence, pacer, call records)."""

    presence: Any
    pacer: Any
    redis: Any
    prefix: str
    # Called after commit with an attempt id when a target_first agent leg failed while the
    # callee holds: workers/ wires it to the failover task. None: the plan's own hold and
    # abandon message take over (tests of the results side alone).
    on_agent_failed: Callable[[int], None] | None = None
    # Called after commit with (attempt id, person | machine | no_person) when agent_at_hello
    # has heard who answered: workers/ wires it to campaigns.services.call_path.hello.act in
    # this process.
    on_heard: Callable[[int, str], None] | None = None

    def _live(self) -> LiveCalls:
        """The floor's live-call list (same Redis and prefix as the call records)."""
        return LiveCalls(self.redis, self.prefix)

    # -- entry point ------------------------------------------------------------------------

    def apply(self, event: StreamEvent, now: dt.datetime) -> str:
        """Apply one event; return what it did (for logs and tests)."""
        handler = {
            "BACKGROUND_JOB": self._background_job,
            "CHANNEL_ANSWER": self._answer,
            "CHANNEL_BRIDGE": self._bridge,
            "CHANNEL_EXECUTE_COMPLETE": self._execute_complete,
            "CHANNEL_HANGUP_COMPLETE": self._hangup_complete,
            "CHANNEL_PARK": self._park,
            "DETECTED_TONE": self._tone,
            "CUSTOM": self._custom,
        }.get(event.name)
        if handler is None:
            return "ignored"
        if event.name == "CHANNEL_PARK" and not event.get(f"variable_{LISTEN_VARIABLE}"):
            return "ignored"  # only the end of a listening plan matters (no lookup for the rest)
        # One transaction per event; every Redis effect is registered with on_commit and runs
        # after it. A Redis failure there propagates: the consumer leaves the entry pending and
        # replays it, and each handler re-runs its effects on a replay (they are idempotent).
        with transaction.atomic():
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
        if event.name == "DETECTED_TONE":
            # The event fired at detection has no Unique-ID: our per-attempt key is the link.
            key_attempt = attempt_of_ringback_key(event.get("Detected-Tone"))
            return rows.filter(id=key_attempt).first() if key_attempt else None
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
        if attempt.campaign.mode == CampaignMode.AGENT_FIRST:
            # `originate user/<agent> &bridge(...)` failed on the agent's phone before the target
            # was dialled (capture 30): charged to the agent, never to the target.
            return self.finish(attempt, cause, classify(cause, Leg.AGENT), now, billsec=0,
                               agent_cause=cause)
        return self.finish(attempt, cause, classify(cause, Leg.TARGET), now, billsec=0)

    def _answer(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        if not self._is_target_leg(event, attempt):
            return "agent_answered"
        CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
            answered_at=event.at or now
        )
        call_uuid = str(attempt.uuid)
        phase = "attendant" if attempt.campaign.connect_plan == ConnectPlan.ATTENDANT else ""
        transaction.on_commit(lambda: self._live().progress(
            call_uuid, now.timestamp(), answered=True, phase=phase))
        return "answered"

    def _bridge(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        at = event.at or now
        updated = CallAttempt.objects.filter(id=attempt.id, bridged_at__isnull=True).update(
            bridged_at=at
        )
        if updated:
            _connected(attempt, at)
        call_uuid = str(attempt.uuid)
        transaction.on_commit(lambda: self._mark_on_call(call_uuid, now))
        return "bridged"

    def _mark_on_call(self, call_uuid: str, now: dt.datetime) -> None:
        """After commit: the agent of a bridged call holds for the call (the on-call lease), and
        the floor shows it connected. Also on a replayed bridge (the first run may have failed
        after the commit): marking renews the same hold, so a second run changes nothing."""
        record = load_call(self.redis, self.prefix, call_uuid)
        if record is not None and record.token:
            self.presence.mark(record.token, "on_call", now.timestamp(), ON_CALL_LEASE_SECONDS)
        self._live().progress(call_uuid, now.timestamp(), bridged=True)

    def _execute_complete(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        app = event.get("Application")
        target_first = attempt.campaign.mode in (CampaignMode.TARGET_FIRST,
                                                 CampaignMode.AGENT_AT_HELLO)
        if app == "set" and event.get("Application-Data").startswith(f"{ABANDON_PLAYED_MARK}="):
            # The plan's own mark after the abandon message: the compliance evidence's proof.
            CallAttempt.objects.filter(id=attempt.id, abandon_message_at__isnull=True).update(
                abandon_message_at=event.at or now)
            return "abandon_message_played"
        if target_first and app == "wait_for_silence" and self._is_leg_a(event, attempt):
            if event.get(f"variable_{LISTEN_VARIABLE}"):
                return listening.listen(event, attempt, event.at or now, self.on_heard,
                                        self._live())
            return listening.prompt_end(event, attempt, event.at or now)
        if target_first and app == "send_dtmf" and self._is_leg_a(event, attempt):
            call_uuid = str(attempt.uuid)
            transaction.on_commit(lambda: self._live().progress(
                call_uuid, now.timestamp(), phase="sending_digits"))
            return listening.digits(event, attempt, event.at or now)
        if target_first and app == "set" and self._is_leg_a(event, attempt) and event.get(
                "Application-Data").startswith(f"{DTMF_SENT_MARK}="):
            # Runs only after the sleep of the rendered DTMF length: every digit is out. A leg
            # that died mid-extension never gets here.
            CallAttempt.objects.filter(id=attempt.id, dtmf_sent_at__isnull=True).update(
                dtmf_sent_at=event.at or now
            )
            listening.digits_done(attempt, event.at or now)
            # The floor's call leaves "Sending digits" (else it would outrank the bridge).
            self._digits_done(str(attempt.uuid), now)
            return "dtmf_sent"
        if target_first and app == "bridge" and self._is_leg_a(event, attempt):
            if attempt.campaign.mode == CampaignMode.AGENT_AT_HELLO:
                return "hello_bridge_ended"  # no failover: the abandon message plays at once
            return self._agent_leg_ended(event, attempt, now)
        if app != "send_dtmf" or target_first:
            return "ignored"
        # agent_first: send_dtmf completes when the digits are queued (capture 34); they are out
        # after their rendered length (leading settle pauses included). If the callee's leg ends
        # before that, its hangup takes the claim back.
        data = event.get("Application-Data")
        try:
            length_ms = dtmf_length_ms(data)
        except DialstringError:
            length_ms = _leading_pause_ms(data)
        at = (event.at or now) + dt.timedelta(milliseconds=length_ms)
        CallAttempt.objects.filter(id=attempt.id, dtmf_sent_at__isnull=True).update(
            dtmf_sent_at=at
        )
        self._digits_done(str(attempt.uuid), now)
        return "dtmf_sent"

    def _digits_done(self, call_uuid: str, now: dt.datetime) -> None:
        transaction.on_commit(
            lambda: self._live().progress(call_uuid, now.timestamp(), digits_done=True))

    def _park(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        """agent_at_hello: the plan parked after its last listen, nobody heard."""
        if (attempt.campaign.mode == CampaignMode.AGENT_AT_HELLO and self._is_leg_a(event, attempt)
                and event.get(f"variable_{LISTEN_VARIABLE}")):
            return listening.plan_ended(attempt, event.at or now, self.on_heard)
        return "ignored"

    def _tone(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        """DETECTED_TONE with the attempt's ringback key (either copy: the step is keyed)."""
        if attempt.ended_at is not None:
            return "ignored"
        call_uuid = str(attempt.uuid)
        transaction.on_commit(lambda: self._live().progress(
            call_uuid, now.timestamp(), phase="extension_ringing"))
        return listening.ringback_tone(attempt, event.at or now, event.get("Event-Sequence"))

    def _custom(self, event: StreamEvent, attempt: CallAttempt, now: dt.datetime) -> str:
        if event.get("Event-Subclass") != "avmd::beep" or not self._is_leg_a(event, attempt):
            return "ignored"
        return listening.beep(event, attempt, event.at or now)

    def _agent_leg_ended(self, event: StreamEvent, attempt: CallAttempt,
                         now: dt.datetime) -> str:
        """target_first: leg A's bridge returned. Failed agent leg while the callee holds: charge
        the agent, give the reservation back, ask for another agent."""
        attempt.refresh_from_db(fields=["bridged_at", "ended_at", "agent"])
        if attempt.ended_at is not None or attempt.bridged_at is not None:
            return "ignored"  # a connected agent hung up (hangup_after_bridge ends the call)
        cause = (event.get("variable_originate_disposition")
                 or event.get("variable_last_bridge_hangup_cause") or "NORMAL_UNSPECIFIED")
        if (event.get("Answer-State") == "hangup" or cause == "ORIGINATOR_CANCEL"
                or event.get("Channel-State") in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")):
            return "callee_left"  # the hangup that follows makes it abandoned
        call_uuid = str(attempt.uuid)
        record = load_call(self.redis, self.prefix, call_uuid)
        if record is None or not record.token:
            return "ignored"
        if _bridged_agent(event.get("Application-Data")) not in ("", record.agent):
            return "ignored"  # a bridge to an agent we already failed over from
        # Our clock, not the node's: the failover task compares it with its own.
        hold_until = record.hold_until or (
            now.timestamp() + attempt.campaign.failover_window_seconds)
        released = dataclasses.replace(record, agent="", token="", hold_until=hold_until,
                                       tried=(*record.tried, record.agent))
        if not replace_call(self.redis, self.prefix, call_uuid, released):
            return "ignored"  # the call was finished meanwhile
        penalties.charge_agent(self.presence, attempt.agent_id, record.agent, record.token,
                               record.node, cause, now, via=record.via)
        log.info("attempt %s: agent %s leg failed with %s; failing over", attempt.id,
                 record.agent, cause)
        if self.on_agent_failed is not None:
            failed, attempt_id = self.on_agent_failed, attempt.id
            transaction.on_commit(lambda: failed(attempt_id))
        return "agent_failed"

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
                hung_up = _us(event.get("Caller-Channel-Hangup-Time")) or event.at or now
                # Digits still queued when the leg died were never sent.
                CallAttempt.objects.filter(id=attempt.id, dtmf_sent_at__gt=hung_up).update(
                    dtmf_sent_at=None
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
                return self.finish(attempt, cause, classify(cause, Leg.AGENT), now, billsec=0,
                                   agent_cause=cause)
            if attempt.answered_at:
                return self.finish(attempt, "NORMAL_CLEARING", ANSWERED, now,
                                   billsec=attempt.billsec or billsec)
            target_cause = attempt.hangup_cause or bridge_cause or cause
            return self.finish(attempt, target_cause, classify(target_cause, Leg.TARGET), now,
                               billsec=0)

        # target_first: leg A is the callee.
        if not (answered or attempt.answered_at):
            return self.finish(attempt, cause, classify(cause, Leg.TARGET), now, billsec=0)
        if attempt.bridged_at is None:
            # Leg A's own hangup says whether it was bridged (capture 36; 0 when never, 41): a
            # CHANNEL_BRIDGE lost with a listener or a consumer is no abandon.
            bridged = (_us(event.get("Caller-Channel-Bridged-Time"))
                       or _us(event.get("variable_bridge_uepoch")))
            if bridged is not None and CallAttempt.objects.filter(
                    id=attempt.id, bridged_at__isnull=True).update(bridged_at=bridged):
                CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                    answered_at=answered)
                _connected(attempt, bridged)
                attempt.bridged_at = bridged
        if attempt.bridged_at is None and mode == CampaignMode.AGENT_AT_HELLO and (
                attempt.heard != Heard.PERSON):
            # Nobody to connect: a machine (hung up on, or the message left), or nobody
            # answered the extension (or the attendant hung up before anyone did).
            klass = VOICEMAIL if attempt.heard == Heard.MACHINE else NO_PERSON
            if not attempt.heard:
                listening.note(attempt.id, {"key": "verdict", "step": listening.NO_PERSON,
                                            "at": (event.at or now).isoformat(),
                                            "reason": "hung up before anyone was heard"})
                CallAttempt.objects.filter(id=attempt.id, heard="").update(
                    heard=listening.NO_PERSON)
            return self.finish(attempt, cause, klass, now, billsec=billsec,
                               answered_at=answered)
        if attempt.bridged_at is None:
            # Answered, never connected: the callee hung up first (ORIGINATOR_CANCEL on the
            # agent leg, capture 28), heard the abandon message, or FreeSWITCH hung up with the
            # agent's cause (no continue_on_fail, capture 26). Counted, retried after the abandon
            # delay: never redialled at once. A B cause on the A leg is the agent's doing.
            # hangup_cause is the callee's own leg's cause (NORMAL_CLEARING when they hung up,
            # lab s5); how the agent leg ended goes in agent_leg_cause.
            agent_cause = bridge_cause if bridge_cause and bridge_cause == cause else ""
            ours = bool(bridge_cause) and agent_penalty(bridge_cause) is Penalty.MISCONFIGURED
            return self.finish(attempt, cause, ABANDONED_BY_US if ours else ABANDONED, now,
                               billsec=billsec,
                               answered_at=answered, agent_cause=agent_cause,
                               agent_leg_cause=bridge_cause)
        return self.finish(attempt, cause, ANSWERED, now, billsec=billsec, answered_at=answered)

    # -- ending an attempt --------------------------------------------------------------------

    def finish(self, attempt: CallAttempt, cause: str, klass: OutcomeClass, now: dt.datetime,
               *, billsec: int, answered_at: dt.datetime | None = None,
               agent_cause: str = "", agent_leg_cause: str = "",
               ended_at: dt.datetime | None = None, settled_by: str = SETTLED_EVENTS) -> str:
        """End the attempt once, move its target on, then give back agent and live-call slot.

        `agent_cause`: the agent's leg failed with it; the agent is charged for it on release.
        `agent_leg_cause`: stored as how the last agent leg ended (target_first, not connected).
        `ended_at`: the call's own end when a record says it (a CDR), else `now`.
        `settled_by`: events, cdr or reconcile. What reconcile settled without proof is
        corrected by the event or CDR that comes later (`correct`).
        """
        if klass is not ANSWERED and klass.outcome != Outcome.ABANDONED and Campaign.objects.filter(
                id=attempt.campaign_id, status=CampaignStatus.CANCELLED).exists():
            klass = CANCELLED  # we ended it: the campaign was cancelled
        with transaction.atomic():
            # The target first, as set_disposition does: one lock order, no deadlock between an
            # agent disposing and the hangup being applied.
            target = Target.objects.select_for_update().get(id=attempt.target_id)
            fields: dict[str, Any] = {
                "outcome": klass.outcome,
                "hangup_cause": cause[:64],
                "agent_leg_cause": agent_leg_cause[:64],
                "billsec": billsec,
                "ended_at": ended_at or now,
                "counts_as_attempt": klass.counts_as_attempt,
                "settled_by": settled_by,
            }
            # Compare-and-set: the second of (HANGUP_COMPLETE, BACKGROUND_JOB) finds it ended.
            ended = CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=True)
            if not ended.update(**fields):
                current = CallAttempt.objects.select_related("campaign").get(id=attempt.id)
                result = "already_ended"
                if current.settled_by == SETTLED_RECONCILE and settled_by != SETTLED_RECONCILE:
                    result = self.correct(current, cause, klass, now, billsec=billsec,
                                          answered_at=answered_at,
                                          agent_leg_cause=agent_leg_cause, ended_at=ended_at,
                                          settled_by=settled_by)
                if current.released_at is None:
                    # A replay of the event that ended it: the Redis side may not have been
                    # given back (a failure after the commit). Idempotent; claimed once.
                    self._release_after_commit(current, now)
                return result
            if answered_at is not None:
                CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                    answered_at=answered_at
                )
            campaign = Campaign.objects.get(id=attempt.campaign_id)
            disposed = disposed_target_fields(attempt.id)
            if disposed is not None:
                # The agent disposed the call while it was up (call back, retry, do not call):
                # what they decided wins over the hangup's default, and moves the target now
                # (it stayed in flight meanwhile). The call still counts.
                if campaign.status == CampaignStatus.CANCELLED and disposed["state"] in (
                        TargetState.RETRY_WAIT,):
                    disposed = {"state": TargetState.CANCELLED, "next_attempt_at": None}
                Target.objects.filter(id=target.id).update(
                    attempts=target.attempts + (1 if klass.counts_as_attempt else 0),
                    last_hangup_cause=cause[:64], updated_at=now, **disposed)
            else:
                self._move_target(
                    target, campaign, klass, cause, now,
                    answered=answered_at is not None or attempt.answered_at is not None)
            call_uuid = str(attempt.uuid)
            bridged = attempt.bridged_at is not None or klass is ANSWERED
            agent_id = attempt.agent_id
            node = attempt.node
            attempt_id = attempt.id
            if klass is CONFIG:
                penalties.mark_trunk_misconfigured(campaign.trunk_id, node, cause, now)
            transaction.on_commit(
                lambda: self._release(call_uuid, cause, bridged, campaign.id, now,
                                      agent_id=agent_id, agent_cause=agent_cause,
                                      attempt_id=attempt_id)
            )
        return str(klass.outcome)

    def correct(self, attempt: CallAttempt, cause: str, klass: OutcomeClass, now: dt.datetime,
                *, billsec: int, answered_at: dt.datetime | None = None,
                agent_leg_cause: str = "", ended_at: dt.datetime | None = None,
                settled_by: str = SETTLED_EVENTS) -> str:
        """Replace what reconcile settled without proof (`unknown`, or answered with no talk
        time) by what a later event or CDR proves; move the target by it if nothing moved it
        since (not dialled again, not disposed). Return what it did."""
        with transaction.atomic():
            target = Target.objects.select_for_update().get(id=attempt.target_id)
            fields: dict[str, Any] = {
                "outcome": klass.outcome, "hangup_cause": cause[:64], "billsec": billsec,
                "agent_leg_cause": agent_leg_cause[:64],
                "counts_as_attempt": klass.counts_as_attempt, "settled_by": settled_by,
            }
            if ended_at is not None:
                fields["ended_at"] = ended_at
            # Compare-and-set on what settled it: two late sources correct it once.
            before = CallAttempt.objects.filter(id=attempt.id).values(
                "outcome", "counts_as_attempt", "settled_by", "disposition_id").get()
            if before["outcome"] == Outcome.UNKNOWN or before["settled_by"] == SETTLED_RECONCILE:
                changed = CallAttempt.objects.filter(
                    id=attempt.id, outcome=before["outcome"],
                    settled_by=before["settled_by"]).update(**fields)
            else:
                changed = 0
            if not changed:
                return "already_corrected"
            if answered_at is not None:
                CallAttempt.objects.filter(id=attempt.id, answered_at__isnull=True).update(
                    answered_at=answered_at)
            newer = CallAttempt.objects.filter(target_id=target.id, id__gt=attempt.id).exists()
            if (not newer and before["disposition_id"] is None
                    and target.last_outcome == before["outcome"]
                    and target.state in (TargetState.RETRY_WAIT, TargetState.FAILED,
                                         TargetState.COMPLETED)):
                campaign = Campaign.objects.get(id=attempt.campaign_id)
                self._move_target(target, campaign, klass, cause, now,
                                  answered=answered_at is not None,
                                  already_counted=before["counts_as_attempt"])
                campaign_id = campaign.id
                transaction.on_commit(lambda: lifecycle.complete_if_exhausted(campaign_id, now))
        log.warning("attempt %s: %s settled by reconcile corrected to %s from its %s",
                    attempt.id, before["outcome"], klass.outcome, settled_by)
        return f"corrected_{klass.outcome}"

    def _move_target(self, target: Target, campaign: Campaign, klass: OutcomeClass, cause: str,
                     now: dt.datetime, *, answered: bool = False,
                     already_counted: bool = False) -> None:
        """Apply the retry policy: final, later (counted), or soon elsewhere (not counted).

        `answered`: the callee was seen to answer (an `unknown` then may have been an abandon).
        `already_counted`: a correction of an attempt whose first outcome counted already.
        """
        attempts = (target.attempts + (1 if klass.counts_as_attempt else 0)
                    - (1 if already_counted else 0))
        retry_after: float | None = None
        if klass is ANSWERED:
            state = TargetState.COMPLETED
        elif klass is CANCELLED or klass.retry is Retry.FINAL:
            state = TargetState.CANCELLED if klass is CANCELLED else TargetState.FAILED
        elif klass.retry in (Retry.ELSEWHERE, Retry.UNKNOWN):
            # Only node and trunk faults and unknown outcomes spend the budget: agents and
            # configuration are charged to the agent or the trunk, and the target waits for a
            # working one at no cost.
            uncounted = CallAttempt.objects.filter(
                target_id=target.id, counts_as_attempt=False, ended_at__isnull=False,
                outcome__in=BUDGETED_OUTCOMES,
            ).count()
            if klass.outcome in BUDGETED_OUTCOMES and uncounted >= MAX_UNCOUNTED_FAILURES:
                state = TargetState.FAILED
            elif klass.retry is Retry.UNKNOWN and campaign.unknown_outcome == UnknownOutcome.HOLD:
                # It may have reached a person: held (failed, last outcome `unknown`) until
                # someone checks and recycles it, or its CDR arrives and corrects it.
                state = TargetState.FAILED
            elif klass.retry is Retry.UNKNOWN:  # it may have answered: never dial again soon
                state, retry_after = TargetState.RETRY_WAIT, campaign.retry_no_answer_seconds
                if answered:  # answered, the bridge unseen: connected, or abandoned
                    retry_after = max(retry_after, campaign.abandon_retry_seconds())
            else:
                state, retry_after = TargetState.RETRY_WAIT, ELSEWHERE_RETRY_SECONDS
        elif attempts >= campaign.max_attempts:
            state = TargetState.FAILED
        else:
            state = TargetState.RETRY_WAIT
            retry_after = {
                Retry.BUSY: campaign.retry_busy_seconds,
                Retry.NO_ANSWER: campaign.retry_no_answer_seconds,
                Retry.ABANDONED: campaign.abandon_retry_seconds(),
                Retry.VOICEMAIL: campaign.retry_voicemail_seconds,
                Retry.NO_PERSON: campaign.retry_no_person_seconds,
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

    def _release_after_commit(self, attempt: CallAttempt, now: dt.datetime) -> None:
        """Give back the Redis side of an ended attempt after the commit (a replay, the sweep)."""
        call_uuid, campaign_id, attempt_id = str(attempt.uuid), attempt.campaign_id, attempt.id
        bridged = attempt.bridged_at is not None or attempt.outcome == Outcome.ANSWERED
        # How the agent's leg failed, as finish was told: the abandon's agent leg, or the whole
        # attempt's cause when only the agent's leg ran (agent unavailable).
        agent_cause = attempt.agent_leg_cause or (
            attempt.hangup_cause if attempt.outcome == Outcome.AGENT_UNAVAILABLE else "")
        agent_id = attempt.agent_id
        transaction.on_commit(
            lambda: self._release(call_uuid, attempt.hangup_cause, bridged, campaign_id, now,
                                  agent_id=agent_id, agent_cause=agent_cause,
                                  attempt_id=attempt_id))

    def _release(self, call_uuid: str, cause: str, bridged: bool, campaign_id: int,
                 now: dt.datetime, *, agent_id: int | None = None, agent_cause: str = "",
                 attempt_id: int | None = None) -> None:
        """After commit: give back the Redis side once, complete an exhausted campaign, and
        record on the attempt that it ran (`released_at`).

        1. Claim the release for a while (SET NX with a TTL): the event path, a CDR and the
           sweep may all try; one runs, and a claim whose holder died lapses for the sweep.
        2. Give back the agent (wrap-up, or the penalty its failed leg earned) and the call's
           live-call slots, then drop the call record (and its floor entry) last: a run that
           fails half-way leaves the record for the retry to find. Each step is idempotent.
        3. Complete the campaign if nothing is left; mark the attempt released.
        A Redis failure propagates to the caller (the consumer then replays the event; the
        sweep retries what nobody replays).
        """
        claim = f"{self.prefix}:release:{call_uuid}"
        if not self.redis.set(claim, "1", nx=True, ex=RELEASE_CLAIM_SECONDS):
            return  # another release of this call runs (or ran a moment ago)
        try:
            record = load_call(self.redis, self.prefix, call_uuid)
            if record is not None:
                ts = now.timestamp()
                # An empty token: the failed leg was charged when it failed (_agent_leg_ended)
                # and the reservation given back; charging it again would count it twice.
                if agent_cause and record.token and agent_penalty(
                        agent_cause, via_proxy=bool(record.via)) is not Penalty.NONE:
                    penalties.charge_agent(self.presence, agent_id, record.agent, record.token,
                                           record.node, agent_cause, now, via=record.via)
                elif record.token:
                    self.presence.release(record.token, ts,
                                          record.wrapup_seconds if bridged else 0)
                self.pacer.remove_call(record.scopes, call_uuid)
                forget_call(self.redis, self.prefix, call_uuid)
        except Exception:
            with contextlib.suppress(Exception):  # let a replay try again at once
                self.redis.delete(claim)
            raise
        lifecycle.complete_if_exhausted(campaign_id, now)
        if attempt_id is not None:
            CallAttempt.objects.filter(id=attempt_id, released_at__isnull=True).update(
                released_at=now)


def release_unreleased(results: Results, now: dt.datetime, *, limit: int = 500) -> int:
    """The periodic sweep: ended attempts whose Redis side was never given back (a failure after
    the commit that no replay repaired) get it now; return how many were tried."""
    rows = list(CallAttempt.objects.filter(
        released_at__isnull=True, ended_at__isnull=False,
        ended_at__lt=now - dt.timedelta(seconds=RELEASE_CLAIM_SECONDS),
        ended_at__gt=now - dt.timedelta(seconds=CALL_TTL_SECONDS),
    ).order_by("ended_at")[:limit])
    for attempt in rows:
        with transaction.atomic():
            results._release_after_commit(attempt, now)
        log.warning("attempt %s: its agent and live-call slots given back by the sweep",
                    attempt.id)
    return len(rows)


def _connected(attempt: CallAttempt, at: dt.datetime) -> None:
    """The callee was bridged to the agent at `at`: store the callee's wait, clear the agent's
    run of missed calls."""
    attempt.refresh_from_db(fields=["answered_at", "dtmf_sent_at", "agent", "hello_at"])
    # The callee's wait: from the answer, or from the extension sent in full (the answer was
    # then the auto-attendant's, and the person comes after the digits); with the agent at the
    # hello, from the hello (where the regulators' clock starts).
    start = max(t for t in (attempt.answered_at, attempt.dtmf_sent_at) if t) if (
        attempt.answered_at or attempt.dtmf_sent_at) else None
    if attempt.hello_at is not None:
        start = attempt.hello_at
    if start is not None:
        wait_ms = max(0, int((at - start).total_seconds() * 1000))
        CallAttempt.objects.filter(id=attempt.id).update(answer_to_agent_ms=wait_ms)
    penalties.agent_connected(attempt.agent_id)


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _is_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
