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
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from campaigns.errors import IllegalTransition
from campaigns.models import Campaign, CampaignEvent, CampaignStatus, Target, TargetState
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
    # A disposition (retry, call back) gave a completed campaign's target another call.
    "reopen": {S.COMPLETED: S.RUNNING},
    "cancel": {
        S.DRAFT: S.CANCELLED,
        S.SCHEDULED: S.CANCELLED,
        S.RUNNING: S.CANCELLED,
        S.PAUSED: S.CANCELLED,
    },
}
FINAL_STATUSES = frozenset({S.COMPLETED, S.CANCELLED})

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
    if name == "start" and current == S.DRAFT and campaign.starts_at and campaign.starts_at > now:
        return S.SCHEDULED
    return allowed[current]


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
        campaign.refresh_from_db(fields=["status", "starts_at", "ends_at"])
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


def reopen(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Completed -> running: a target of it is due again (a callback, a retry disposition)."""
    return _transition("reopen", campaign, actor, reason, now)


def cancel(campaign: Campaign, actor: Any = None, reason: str = "", now: Now = None) -> Campaign:
    """Any non-final status -> cancelled; pending and retry_wait targets are cancelled."""
    return _transition("cancel", campaign, actor, reason, now)


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
