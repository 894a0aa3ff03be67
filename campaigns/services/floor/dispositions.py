"""Dispositions and callbacks: what the agent says became of a conversation, and what follows.

`set_disposition` is the one transition (API, agent page, admin): it checks the disposition
belongs to the attempt's campaign and the call was answered, stores it with the notes, then
acts by kind in the same transaction: final (the target stays done), retry (dial again after
the disposition's delay), do not call (the number joins the list, the target stops), call
back (a Callback at the time the callee chose, read in the target's own zone; the target is
due then, to the same agent when asked and that agent is available, else to the group).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

from django.db import models, transaction

from campaigns.errors import DomainError
from campaigns.models import (
    DEFAULT_DISPOSITIONS,
    CallAttempt,
    Callback,
    CallbackState,
    Campaign,
    CampaignStatus,
    Disposition,
    DispositionKind,
    DoNotCall,
    Target,
    TargetState,
)
from campaigns.services import lifecycle

log = logging.getLogger(__name__)


class DispositionError(DomainError):
    """The disposition cannot be set (wrong campaign, no conversation, no callback time)."""


def target_zone(target: Target) -> str:
    """The zone a callee's "tomorrow 10:00" is meant in: the target's, else the campaign's."""
    return target.timezone or target.campaign.timezone


def local_to_utc(local: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time typed for a zone, as a UTC instant (a time in a DST gap moves on)."""
    if local.tzinfo is not None:
        return local.astimezone(dt.UTC)
    return local.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)


def add_default_dispositions(campaign: Campaign) -> int:
    """Give a campaign the usual list (sale, not interested, ...); existing codes are kept."""
    created = 0
    for position, (code, label, kind) in enumerate(DEFAULT_DISPOSITIONS):
        _, was_new = Disposition.objects.get_or_create(
            campaign=campaign, code=code,
            defaults={"label": label, "kind": kind, "position": position})
        created += was_new
    return created


def give_new_campaign_dispositions(campaign: Campaign) -> int:
    """A campaign just created with no disposition of its own gets the default list."""
    if Disposition.objects.filter(campaign=campaign).exists():
        return 0
    return add_default_dispositions(campaign)


def set_disposition(attempt: CallAttempt, disposition: Disposition, *, notes: str = "",
                    callback_at: dt.datetime | None = None, same_agent: bool = True,
                    actor: Any = None, now: dt.datetime) -> Callback | None:
    """Record what became of the call and act on it; return the callback when one is made."""
    if disposition.campaign_id != attempt.campaign_id:
        raise DispositionError("this disposition belongs to another campaign",
                               code="wrong_campaign")
    if attempt.answered_at is None and attempt.bridged_at is None:
        raise DispositionError("the call was not answered: there is no conversation to dispose",
                               code="not_answered")
    if disposition.kind == DispositionKind.CALLBACK and callback_at is None:
        raise DispositionError("a call back needs a time", code="callback_time_required")
    callback = None
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("campaign").get(
            id=attempt.target_id)
        CallAttempt.objects.filter(id=attempt.id).update(
            disposition=disposition, disposition_notes=notes[:5000], disposed_at=now)
        # A new disposition replaces the previous one: its scheduled callback goes too.
        Callback.objects.filter(attempt=attempt, state=CallbackState.SCHEDULED).update(
            state=CallbackState.CANCELLED)
        fields: dict[str, Any] = {"last_outcome": disposition.code[:32], "updated_at": now}
        due = None
        if disposition.kind == DispositionKind.DO_NOT_CALL:
            DoNotCall.objects.get_or_create(
                number=target.number,
                defaults={"reason": f"disposition {disposition.code} on attempt {attempt.id}"})
        elif disposition.kind == DispositionKind.CALLBACK:
            assert callback_at is not None
            zone = target_zone(target)
            due = local_to_utc(callback_at, zone)
            if due <= now:
                raise DispositionError("the call-back time is in the past",
                                       code="callback_in_past")
            callback = Callback.objects.create(
                campaign_id=attempt.campaign_id, target=target, attempt=attempt,
                agent_id=attempt.agent_id if same_agent else None, due_at=due, timezone=zone,
                notes=notes[:5000],
                created_by=actor if getattr(actor, "is_authenticated", False) else None)
        # The hangup locks the target first too, so this read is settled: a call still up
        # keeps its target in flight (never due for a second call while this one lasts), and
        # the hangup moves it as disposed (results.finish); a call over moves it now.
        if CallAttempt.objects.filter(id=attempt.id, ended_at__isnull=False).exists():
            fields.update(target_fields(disposition.kind, disposition.retry_seconds, due, now))
        Target.objects.filter(id=target.id).update(**fields)
        campaign = target.campaign
        if (disposition.kind in (DispositionKind.RETRY, DispositionKind.CALLBACK)
                and campaign.status == CampaignStatus.COMPLETED):
            # The campaign completed when this call ended; the callee asked for another.
            lifecycle.reopen(campaign, actor if getattr(actor, "pk", None) else None,
                             reason=f"disposition {disposition.code} on attempt {attempt.id}",
                             now=now)
    log.info("attempt %s disposed %s", attempt.id, disposition.code)
    return callback


def target_fields(kind: str, retry_seconds: int, due: dt.datetime | None,
                  disposed_at: dt.datetime) -> dict[str, Any]:
    """Where a disposition moves its target: retry after its delay, call back at its time, do
    not call, else done (a call back with no time left is done as well)."""
    if kind == DispositionKind.RETRY:
        return {"state": TargetState.RETRY_WAIT,
                "next_attempt_at": disposed_at + dt.timedelta(seconds=retry_seconds)}
    if kind == DispositionKind.DO_NOT_CALL:
        return {"state": TargetState.DO_NOT_CALL, "next_attempt_at": None}
    if kind == DispositionKind.CALLBACK and due is not None:
        return {"state": TargetState.RETRY_WAIT, "next_attempt_at": due}
    return {"state": TargetState.COMPLETED, "next_attempt_at": None}


def disposed_target_fields(attempt_id: int) -> dict[str, Any] | None:
    """For the hangup of a call disposed while it was up: where its disposition moves the
    target (its scheduled call back's time for a call back), or None when not disposed."""
    row = (CallAttempt.objects.filter(id=attempt_id, disposition__isnull=False)
           .values("disposition__kind", "disposition__retry_seconds", "disposed_at").first())
    if row is None:
        return None
    due = (Callback.objects.filter(attempt_id=attempt_id, state=CallbackState.SCHEDULED)
           .order_by("-id").values_list("due_at", flat=True).first())
    return target_fields(row["disposition__kind"], row["disposition__retry_seconds"], due,
                         row["disposed_at"])


def reschedule_callback(callback: Callback, now: dt.datetime) -> None:
    """After an edit in the admin: the target is due at the callback's (new) time."""
    if callback.state != CallbackState.SCHEDULED:
        return
    Target.objects.filter(id=callback.target_id).exclude(
        state__in=(TargetState.DO_NOT_CALL, TargetState.DIALING, TargetState.QUEUED)).update(
        state=TargetState.RETRY_WAIT, next_attempt_at=callback.due_at, updated_at=now)


def callback_agents(target_ids: list[int], now: dt.datetime) -> dict[int, str]:
    """Targets about to be dialled: mark their due callbacks dialled; return the agents asked
    for (presence keys) by target. One query, two when some callback is due."""
    rows = list(Callback.objects.filter(target_id__in=target_ids, state=CallbackState.SCHEDULED,
                                        due_at__lte=now)
                .values_list("id", "target_id", "agent__sip_user", "agent__sip_domain"))
    if rows:
        # Compare-and-set on the state: a callback is handed to the dialer once.
        Callback.objects.filter(id__in=[r[0] for r in rows],
                                state=CallbackState.SCHEDULED).update(state=CallbackState.DIALLED)
    return {target_id: f"{user}@{domain}" for _, target_id, user, domain in rows if user}


def repair_callbacks(now: dt.datetime, limit: int = 1000) -> int:
    """The periodic check: every scheduled call back has its target due at the call back's time.

    A call back whose target was moved on anyway (completed or failed by a hangup applied over
    the disposition, pending, waiting for another time) would never be dialled: its target is
    made due again at the call back's time, and a campaign completed meanwhile is reopened. A
    call back that can no longer be made (its campaign cancelled or past its end date, its
    target cancelled or on the do-not-call list) is cancelled, so nothing stays `scheduled`
    forever. Targets in flight (queued, dialing) are left to their call. Returns how many were
    repaired.
    """
    repaired = 0
    rows = (Callback.objects.filter(state=CallbackState.SCHEDULED)
            .exclude(target__state__in=(TargetState.QUEUED, TargetState.DIALING))
            .exclude(target__state=TargetState.RETRY_WAIT,
                     target__next_attempt_at=models.F("due_at"))
            .select_related("target", "campaign").order_by("due_at")[:limit])
    for callback in rows:
        with transaction.atomic():
            target = Target.objects.select_for_update().get(id=callback.target_id)
            campaign = Campaign.objects.select_for_update().get(id=callback.campaign_id)
            # Compare-and-set on the state: a call back dialled meanwhile is left alone.
            scheduled = Callback.objects.filter(id=callback.id, state=CallbackState.SCHEDULED)
            ended = campaign.ends_at is not None and campaign.ends_at <= now
            if (campaign.status == CampaignStatus.CANCELLED or ended
                    or target.state in (TargetState.DO_NOT_CALL, TargetState.CANCELLED)):
                if scheduled.update(state=CallbackState.CANCELLED):
                    log.warning("callback %s cancelled: it can no longer be made", callback.id)
                continue
            if target.state in (TargetState.QUEUED, TargetState.DIALING) or (
                    target.state == TargetState.RETRY_WAIT
                    and target.next_attempt_at == callback.due_at):
                continue  # moved meanwhile
            if not scheduled.exists():
                continue
            Target.objects.filter(id=target.id).update(
                state=TargetState.RETRY_WAIT, next_attempt_at=callback.due_at, updated_at=now)
            if campaign.status == CampaignStatus.COMPLETED:
                try:
                    lifecycle.reopen(campaign, reason=f"call back {callback.id} still owed",
                                     now=now)
                except DomainError as exc:  # it could not dial now (no agent): said, kept owed
                    log.warning("campaign %s not reopened for callback %s: %s", campaign.id,
                                callback.id, exc)
            repaired += 1
            log.warning("callback %s: target %s was %s, due again at %s", callback.id,
                        target.id, target.state, callback.due_at.isoformat())
    return repaired
