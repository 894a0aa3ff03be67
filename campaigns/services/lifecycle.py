"""Campaign status transitions (STYLE rule 4): one table, one compare-and-set, one audit row each.

Status flow: draft -> scheduled -> running <-> paused -> completed, and cancelled from any
non-final state. Decisions:

- `start` on a draft whose `starts_at` lies in the future moves it to *scheduled*; with no
  `starts_at`, or one already past, it goes straight to *running*. The daily window is not a
  status: a running campaign outside its window simply gets no calls from the tick.
- `start` on a scheduled campaign moves it to running ("start now"); `start_due_campaigns(now)`
  is what the tick calls to do that for every scheduled campaign whose start date has arrived
  (or that has none).
- `start`, `schedule` and `resume` refuse a campaign whose `ends_at` has passed.
- `cancel` and `complete` also cancel the targets still waiting to be dialled (pending and
  retry_wait, one UPDATE), so no retry fires afterwards. Targets in flight finish normally.
- `start`, `schedule`, `resume` and `reopen` refuse (`CampaignCannotDial`, every reason in
  the message) a campaign that could never place a call: no weekday, a daily window that never
  opens before the end date, an end not after the start, no enabled agent in its group, or (but
  for `resume`) no target waiting to be dialled. A "running" campaign always can dial.
- `reopen` moves a completed campaign back to running when targets were added to it or recycled.
- `recycle` (lead recycling) puts the targets whose last outcome is one of the chosen outcomes
  back to pending for another pass, counts the pass, and reopens a completed campaign.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.dispatch import Signal
from django.utils import timezone

from campaigns.errors import CampaignCannotDial, IllegalTransition, RecycleError
from campaigns.models import (
    AbandonFormula,
    Agent,
    CallAttempt,
    Callback,
    CallbackState,
    Campaign,
    CampaignEvent,
    CampaignStatus,
    Disposition,
    Outcome,
    Target,
    TargetState,
)
from campaigns.models.campaign import UK_NO_REDIAL_SECONDS
from campaigns.models.target import DUE_STATES

log = logging.getLogger(__name__)

S = CampaignStatus
Now = dt.datetime | None

# The one table of allowed moves: transition name -> {from status: to status}.
TRANSITIONS: dict[str, dict[str, str]] = {
    "schedule": {S.DRAFT: S.SCHEDULED},
    "start": {S.DRAFT: S.RUNNING, S.SCHEDULED: S.RUNNING},
    "pause": {S.RUNNING: S.PAUSED},
    "resume": {S.PAUSED: S.RUNNING},
    "complete": {S.RUNNING: S.COMPLETED, S.PAUSED: S.COMPLETED},
    # Targets added or recycled, or a disposition (retry, call back) due again.
    "reopen": {S.COMPLETED: S.RUNNING},
    "cancel": {
        S.DRAFT: S.CANCELLED,
        S.SCHEDULED: S.CANCELLED,
        S.RUNNING: S.CANCELLED,
        S.PAUSED: S.CANCELLED,
    },
}
FINAL_STATUSES = frozenset({S.COMPLETED, S.CANCELLED})
# Transitions after which the campaign is meant to dial: each checks that it can.
DIALLING = frozenset({"schedule", "start", "resume", "reopen"})

# Lead recycling may reset any outcome of a finished call but an answered one (a callee who
# answered is final, DESIGN) and "in progress". An outcome added to `Outcome` (issue 9's
# `abandoned`) is recyclable by default; list it here only to forbid it.
NOT_RECYCLABLE = frozenset({Outcome.PENDING, Outcome.ANSWERED})
RECYCLABLE_OUTCOMES = tuple(value for value in Outcome.values if value not in NOT_RECYCLABLE)
# Target states a recycled target may come from: finished, but never do-not-call.
RECYCLABLE_STATES = (TargetState.FAILED, TargetState.COMPLETED, TargetState.CANCELLED)

# Test-only switch: the control test turns the compare-and-set off to show the race is real.
_COMPARE_AND_SET = True

# Sent after the transaction that moved a campaign commits: sender=Campaign, campaign,
# from_status, to_status, actor, reason. The dashboard or the dispatcher may listen.
status_changed = Signal()


def _target_status(name: str, campaign: Campaign, now: dt.datetime) -> str:
    """Where `name` takes this campaign, or raise IllegalTransition."""
    allowed = TRANSITIONS[name]
    current = campaign.status
    if current not in allowed:
        raise IllegalTransition(
            f"Cannot {name} a campaign that is {CampaignStatus(current).label.lower()}.",
        )
    if name in {"start", "schedule", "resume"} and campaign.ends_at and campaign.ends_at <= now:
        raise IllegalTransition(
            f"Cannot {name} a campaign whose end date has passed.", code="campaign_ended"
        )
    if name in DIALLING:
        problems = dial_problems(campaign, now, need_targets=name != "resume")
        if problems:
            raise CampaignCannotDial(
                f"Cannot {name} this campaign: it could never place a call ({'; '.join(problems)})."
            )
    if name == "start" and current == S.DRAFT and campaign.starts_at and campaign.starts_at > now:
        return S.SCHEDULED
    return allowed[current]


def dial_problems(campaign: Campaign, now: dt.datetime, *, need_targets: bool = True) -> list[str]:
    """Every reason the campaign could never place a call from `now` on ([] when it can)."""
    problems = campaign.dial_problems(now)
    if not Agent.objects.filter(group_id=campaign.agent_group_id, enabled=True).exists():
        problems.append("its agent group has no enabled agent")
    if need_targets and not Target.objects.filter(
        campaign_id=campaign.pk, state__in=DUE_STATES
    ).exists():
        problems.append("it has no target waiting to be dialled")
    return problems


def _transition(
    name: str,
    campaign: Campaign,
    actor: Any = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Campaign:
    """Apply one named transition: precondition, compare-and-set, audit row, act after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        # Re-read inside the transaction: the caller's copy may be stale.
        campaign.refresh_from_db(
            fields=[
                "status", "starts_at", "ends_at", "weekdays", "daily_start", "daily_end",
                "timezone", "agent_group",
            ]
        )
        from_status = campaign.status
        to_status = _target_status(name, campaign, now)
        # Compare-and-set: a concurrent transition (another admin, the tick) may have moved it.
        guard = {"status": from_status} if _COMPARE_AND_SET else {}
        moved = Campaign.objects.filter(id=campaign.id, **guard).update(
            status=to_status, status_changed_at=now, updated_at=now
        )
        if moved != 1:
            log.info("campaign %s: %s lost a race from %s", campaign.id, name, from_status)
            raise IllegalTransition(
                "The campaign changed status meanwhile; reload and try again.", code="conflict"
            )
        CampaignEvent.objects.create(
            campaign=campaign,
            from_status=from_status,
            to_status=to_status,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=(reason or "")[:200],
            action=name,
            at=now,
        )
        if to_status in FINAL_STATUSES:
            cancel_waiting_targets(campaign, now=now)
        campaign.status = to_status
        campaign.status_changed_at = now

        def announce() -> None:
            log.info("campaign %s: %s -> %s (%s)", campaign.id, from_status, to_status, name)
            status_changed.send(
                sender=Campaign, campaign=campaign, from_status=from_status,
                to_status=to_status, actor=actor, reason=reason,
            )

        transaction.on_commit(announce)
    return campaign


def cancel_waiting_targets(campaign: Campaign, *, now: dt.datetime) -> int:
    """Cancel the campaign's pending and retry_wait targets in one UPDATE; return how many."""
    return Target.objects.filter(campaign_id=campaign.id, state__in=DUE_STATES).update(
        state=TargetState.CANCELLED, next_attempt_at=None, updated_at=now
    )


def schedule(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Draft -> scheduled: the tick starts it when its start date arrives."""
    return _transition("schedule", campaign, actor, reason, now)


def start(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Draft -> running (or scheduled if its start date is ahead); scheduled -> running."""
    return _transition("start", campaign, actor, reason, now)


def pause(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Running -> paused: the tick stops claiming its targets; calls in flight finish."""
    return _transition("pause", campaign, actor, reason, now)


def resume(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Paused -> running."""
    return _transition("resume", campaign, actor, reason, now)


def complete(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Running or paused -> completed; targets still waiting are cancelled."""
    return _transition("complete", campaign, actor, reason, now)


def cancel(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Any non-final status -> cancelled; pending and retry_wait targets are cancelled."""
    return _transition("cancel", campaign, actor, reason, now)


def reopen(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Completed -> running: targets were added or recycled, or a callback or retry is due."""
    return _transition("reopen", campaign, actor, reason, now)


def reopen_for_new_targets(
    campaign: Campaign, added: int, *, actor: Any = None, dry_run: bool = False, now: Now = None
) -> str:
    """After targets were added: reopen a completed campaign; say what happens to the targets.

    Returns "" when nothing needs saying (a draft, scheduled, running or paused campaign dials
    its new targets in its own time).
    """
    now = now or timezone.now()
    campaign.refresh_from_db(fields=["status"])
    if not added or campaign.status not in FINAL_STATUSES:
        return ""
    if campaign.status == S.CANCELLED:
        return (
            "The campaign is cancelled: these targets are stored but will not be dialled; "
            "import them into a new campaign to call them."
        )
    problems = dial_problems(campaign, now, need_targets=False)
    if problems:
        return (
            "The campaign is completed and stays so: it could never place a call "
            f"({'; '.join(problems)}). Fix that, then resume it from the admin."
        )
    if dry_run:
        return "The campaign is completed: importing reopens it so these targets are dialled."
    try:
        reopen(campaign, actor=actor, reason=f"{added} targets added", now=now)
    except IllegalTransition as exc:  # moved meanwhile (another import reopened it first)
        log.info("campaign %s not reopened after an import: %s", campaign.id, exc)
        campaign.refresh_from_db(fields=["status"])
        if campaign.status == S.RUNNING:
            return "The campaign was completed and has been reopened to dial these targets."
        return f"The campaign was not reopened: {exc}"
    return "The campaign was completed and has been reopened to dial these targets."


def _hold_uk_abandons(campaign: Campaign, now: dt.datetime) -> None:
    """UK mode: a recycled target abandoned in the last 72 hours waits until 72 hours after it
    (Ofcom: no repeat call to an abandoned number within 72 hours)."""
    if campaign.abandon_formula != AbandonFormula.UK_24H:
        return
    window = dt.timedelta(seconds=UK_NO_REDIAL_SECONDS)
    recent = (CallAttempt.objects.filter(campaign_id=campaign.pk, outcome=Outcome.ABANDONED,
                                         created_at__gte=now - window)
              .values("target_id").annotate(last=Max("created_at")).order_by())
    for row in recent:
        Target.objects.filter(id=row["target_id"], state=TargetState.PENDING).update(
            next_attempt_at=row["last"] + window)


def recycle(
    campaign: Campaign,
    outcomes: list[str] | tuple[str, ...],
    *,
    actor: Any = None,
    reason: str = "",
    now: Now = None,
    dispositions: list[int] | tuple[int, ...] = (),
) -> int:
    """Lead recycling: targets whose last outcome is in `outcomes`, or one of whose calls was
    disposed as one of `dispositions` (ids), go back to pending.

    1. Check the outcomes are recyclable and the campaign is not cancelled.
    2. In one transaction, with the campaign row locked (a concurrent import or recycle waits):
       reset the matching finished targets (attempts to 0, so each gets the campaign's full
       number of tries again; attempt rows keep counting), count the pass, write the audit row.
    3. Reopen a completed campaign (which checks it can dial). Returns the targets reset.
    """
    now = now or timezone.now()
    chosen = sorted(set(outcomes))
    refused = [value for value in chosen if value not in RECYCLABLE_OUTCOMES]
    disposed = sorted(set(dispositions))
    if not chosen and not disposed:
        raise RecycleError("Choose at least one outcome to recycle.", code="no_outcome")
    if refused:
        raise RecycleError(
            f"These outcomes cannot be recycled: {', '.join(refused)}.", code="bad_outcome"
        )
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == S.CANCELLED:
            raise RecycleError("A cancelled campaign cannot be recycled.", code="cancelled")
        which = Q(last_outcome__in=chosen)
        if disposed:
            which |= Q(id__in=CallAttempt.objects.filter(
                campaign_id=campaign.pk, disposition_id__in=disposed).values("target_id"))
        reset = Target.objects.filter(
            which, campaign_id=campaign.pk, state__in=RECYCLABLE_STATES
        ).update(state=TargetState.PENDING, attempts=0, next_attempt_at=None, updated_at=now)
        if not reset:
            raise RecycleError(
                "No finished target has one of those outcomes; nothing to recycle.",
                code="nothing_to_recycle",
            )
        _hold_uk_abandons(locked, now)
        passes = locked.passes + 1
        Campaign.objects.filter(pk=campaign.pk).update(passes=passes, updated_at=now)
        labels = ", ".join([str(Outcome(value).label).lower() for value in chosen] + [
            f"disposed {label.lower()}" for label in Disposition.objects.filter(
                id__in=disposed, campaign_id=campaign.pk).values_list("label", flat=True)])
        CampaignEvent.objects.create(
            campaign=campaign,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=f"pass {passes}: {reset} targets ({labels}){'; ' + reason if reason else ''}"[
                :200
            ],
            action="recycle",
            at=now,
        )
        campaign.passes = passes
        if locked.status == S.COMPLETED:
            reopen(campaign, actor=actor, reason=f"recycled for pass {passes}", now=now)
    campaign.refresh_from_db()
    return reset


def recyclable_counts(campaign: Campaign) -> tuple[dict[str, int], dict[int, int]]:
    """How many finished targets each outcome and each disposition would recycle now."""
    finished = Target.objects.filter(campaign_id=campaign.pk, state__in=RECYCLABLE_STATES)
    by_outcome = dict(finished.filter(last_outcome__in=RECYCLABLE_OUTCOMES)
                      .values_list("last_outcome").annotate(n=Count("id")).order_by())
    by_disposition = dict(
        CallAttempt.objects.filter(campaign_id=campaign.pk, disposition__isnull=False,
                                   target__state__in=RECYCLABLE_STATES)
        .values_list("disposition_id").annotate(n=Count("target_id", distinct=True)).order_by())
    return by_outcome, by_disposition


def start_due_campaigns(now: dt.datetime) -> list[int]:
    """Start every scheduled campaign whose start date has arrived (or that has none)."""
    started = []
    # A scheduled campaign without a start date is due at once (scheduled = "when due").
    due = Q(starts_at__lte=now) | Q(starts_at__isnull=True)
    for campaign in Campaign.objects.filter(due, status=S.SCHEDULED):
        try:
            start(campaign, reason="start date reached", now=now)
        except IllegalTransition as exc:  # another tick or an operator moved it first
            log.info("campaign %s not started by the tick: %s", campaign.id, exc)
            continue
        started.append(campaign.id)
    return started


def complete_ended_campaigns(now: dt.datetime) -> list[int]:
    """Complete every running or paused campaign whose end date has passed; return their ids."""
    ended = []
    for campaign in Campaign.objects.filter(
        status__in=[S.RUNNING, S.PAUSED], ends_at__isnull=False, ends_at__lte=now
    ):
        try:
            complete(campaign, reason="end date reached", now=now)
        except IllegalTransition as exc:  # moved meanwhile by an operator or another tick
            log.info("campaign %s not completed by the tick: %s", campaign.id, exc)
            continue
        ended.append(campaign.id)
    return ended


def complete_if_exhausted(campaign_id: int, now: dt.datetime) -> bool:
    """Complete a running (or paused) campaign that has no target left to dial and no call back
    still to make."""
    open_targets = Target.objects.filter(campaign_id=campaign_id,
                                         state__in=TargetState.open_states())
    if open_targets.exists():
        return False
    if Callback.objects.filter(campaign_id=campaign_id, state=CallbackState.SCHEDULED).exists():
        return False  # a call back is owed: its target is repaired by the periodic check
    campaign = Campaign.objects.filter(
        id=campaign_id, status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).first()
    if campaign is None:
        return False
    try:
        complete(campaign, reason="every target reached a final state", now=now)
    except IllegalTransition:
        return False  # someone else completed or cancelled it meanwhile
    return True
