"""Aggregates behind the live dashboard: one GROUP BY per figure, on indexes, cached briefly.

Every query here costs O(states + minutes + causes), never O(targets): the figures come from
GROUP BYs that PostgreSQL answers from the indexes declared on the models (the target count by
state from `target_due_idx`, whose prefix is (campaign, state); outcomes from
`attempt_campaign_outcome_idx`; per-minute rates from `attempt_campaign_time_idx` and
`attempt_ended_idx`, bounded by a recent window). Snapshots are cached for a second or two so
that any number of open dashboards cost the database one computation per interval (see
`_cached`). Counting a million targets by state still reads a million index or heap entries
(about a quarter of a second, `bench/dashboard.py`): that is why the interval stretches with
the cost of the computation.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncMinute

from campaigns.models import (
    Agent,
    CallAttempt,
    Campaign,
    CampaignStatus,
    Outcome,
    Target,
    TargetState,
    Trunk,
)
from campaigns.services.reporting.cdr_watch import nodes_without_cdrs
from campaigns.services.reporting.stats import CALLEE_OUTCOMES, abandon_figures

CACHE_SECONDS = 2
MAX_FRESH_SECONDS = 15
LOAD_FACTOR = 10
REFRESH_LOCK_SECONDS = 30
KEEP_STALE_SECONDS = 120
RATE_WINDOW_MINUTES = 15
CAUSE_WINDOW_MINUTES = 60
TOP_CAUSES = 12
PROBLEM_ROWS = 50

def _cached(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Serve key from the cache; let one process recompute it when stale, the others wait not.

    The snapshot stays fresh for CACHE_SECONDS, or longer when computing it was slow (ten times
    its cost, so one open dashboard never keeps more than a tenth of a database core busy, up to
    MAX_FRESH_SECONDS). When it goes stale, the process that wins a short lock recomputes it
    while every other poll is answered with the previous snapshot: no stampede of identical
    GROUP BYs when many supervisors watch one big campaign.
    """
    entry = cache.get(key)
    if entry is not None:
        if entry["fresh_until"] > time.time():
            return entry["value"]
        if not cache.add(f"{key}:refresh", 1, REFRESH_LOCK_SECONDS):
            return entry["value"]  # another process is computing it right now
    started = time.perf_counter()
    value = compute()
    cost = time.perf_counter() - started
    fresh = min(MAX_FRESH_SECONDS, max(CACHE_SECONDS, cost * LOAD_FACTOR))
    cache.set(key, {"value": value, "fresh_until": time.time() + fresh}, KEEP_STALE_SECONDS)
    cache.delete(f"{key}:refresh")
    return value


def _minute_series(rows: list[dict[str, Any]], now: dt.datetime, minutes: int) -> list[dict]:
    """Fill a per-minute series with zeros so a chart shows quiet minutes as quiet."""
    counts = {row["minute"]: row["n"] for row in rows}
    last = now.replace(second=0, microsecond=0)
    series = []
    for offset in range(minutes - 1, -1, -1):
        minute = last - dt.timedelta(minutes=offset)
        series.append({"minute": minute.isoformat(), "calls": counts.get(minute, 0)})
    return series


def answer_rate(outcomes: dict[str, int]) -> float | None:
    """Answered calls over finished callee outcomes, or None before any call has finished."""
    finished = sum(outcomes.get(str(outcome), 0) for outcome in CALLEE_OUTCOMES)
    if not finished:
        return None
    return outcomes.get(str(Outcome.ANSWERED), 0) / finished


def targets_by_state(campaign_id: int) -> dict[str, int]:
    """Count a campaign's targets per state (an index-only scan of target_due_idx)."""
    rows = (
        Target.objects.filter(campaign_id=campaign_id)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {str(state): 0 for state in TargetState.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def outcomes_of(campaign_id: int) -> dict[str, int]:
    """Count a campaign's attempts per outcome; the empty outcome means still in progress."""
    rows = (
        CallAttempt.objects.filter(campaign_id=campaign_id)
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["outcome"]: row["n"] for row in rows}


def compute_campaign_snapshot(campaign: Campaign, now: dt.datetime) -> dict[str, Any]:
    """Build a campaign's dashboard figures from the database (uncached)."""
    rate_since = now.replace(second=0, microsecond=0) - dt.timedelta(
        minutes=RATE_WINDOW_MINUTES - 1
    )
    per_minute = list(
        CallAttempt.objects.filter(campaign_id=campaign.pk, created_at__gte=rate_since)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by()
    )
    causes = list(
        CallAttempt.objects.filter(
            campaign_id=campaign.pk,
            created_at__gte=now - dt.timedelta(minutes=CAUSE_WINDOW_MINUTES),
        )
        .exclude(hangup_cause="")
        .values("hangup_cause")
        .annotate(n=Count("id"))
        .order_by("-n", "hangup_cause")[:TOP_CAUSES]
    )
    outcomes = outcomes_of(campaign.pk)
    states = targets_by_state(campaign.pk)
    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "status": campaign.status,
            "status_label": CampaignStatus(campaign.status).label,
            "mode": campaign.mode,
            "max_concurrent": campaign.max_concurrent,
            "calls_per_second": campaign.calls_per_second,
        },
        "generated_at": now.isoformat(),
        "targets": {"total": sum(states.values()), "by_state": states},
        "attempts": {
            "total": sum(outcomes.values()),
            "in_progress": outcomes.get(str(Outcome.PENDING), 0),
            "by_outcome": {key or "in_progress": n for key, n in sorted(outcomes.items())},
        },
        "answer_rate": answer_rate(outcomes),
        # abandoned, abandon_rate (regulators' 2 s rule), answer_to_agent_ms p50/p95
        **abandon_figures(campaign.pk, campaign.mode),
        "calls_per_minute": _minute_series(per_minute, now, RATE_WINDOW_MINUTES),
        "hangup_causes": [{"cause": row["hangup_cause"], "calls": row["n"]} for row in causes],
        "hangup_cause_window_minutes": CAUSE_WINDOW_MINUTES,
    }


def campaign_snapshot(campaign: Campaign, now: dt.datetime) -> dict[str, Any]:
    """Return a campaign's dashboard figures, computed at most once per CACHE_SECONDS."""
    return _cached(
        f"dashboard:campaign:{campaign.pk}",
        lambda: compute_campaign_snapshot(campaign, now),
    )


def compute_system_snapshot(now: dt.datetime) -> dict[str, Any]:
    """Build the whole system's database figures (uncached); cluster state is added by the view."""
    by_status = {str(status): 0 for status in CampaignStatus.values}
    by_status.update(
        {
            row["status"]: row["n"]
            for row in Campaign.objects.values("status").annotate(n=Count("id")).order_by()
        }
    )
    active = list(
        Campaign.objects.filter(status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED])
        .order_by("name")
        .values("id", "name", "status")[:50]
    )
    recent = list(
        Campaign.objects.exclude(status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED])
        .order_by("-updated_at")
        .values("id", "name", "status")[:10]
    )
    active_ids = [row["id"] for row in active]
    # In-progress calls per active campaign: the (campaign, outcome) index, one probe each.
    live = {
        row["campaign_id"]: row["n"]
        for row in CallAttempt.objects.filter(campaign_id__in=active_ids, outcome=Outcome.PENDING)
        .values("campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    rate_since = now.replace(second=0, microsecond=0) - dt.timedelta(
        minutes=RATE_WINDOW_MINUTES - 1
    )
    # System-wide rate from the ended_at index: calls that finished per minute, any campaign.
    ended = list(
        CallAttempt.objects.filter(ended_at__gte=rate_since)
        .annotate(minute=TruncMinute("ended_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by()
    )
    answered = CallAttempt.objects.filter(ended_at__gte=rate_since).aggregate(
        finished=Count("id", filter=Q(outcome__in=CALLEE_OUTCOMES)),
        answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
    )
    return {
        "generated_at": now.isoformat(),
        "campaigns": {
            "by_status": by_status,
            "active": [
                {**row, "status_label": CampaignStatus(row["status"]).label,
                 "live_calls": live.get(row["id"], 0)}
                for row in active
            ],
            "recent": [
                {**row, "status_label": CampaignStatus(row["status"]).label} for row in recent
            ],
        },
        "live_calls": sum(live.values()),
        "calls_ended_per_minute": _minute_series(ended, now, RATE_WINDOW_MINUTES),
        "answer_rate_recent": (
            answered["answered"] / answered["finished"] if answered["finished"] else None
        ),
        "problems": problems(now),
    }


def problems(now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Agents the dialer charged (penalty running, missed calls, misconfigured) and trunks a node
    refused as misconfigured: what a supervisor must look at. Bounded lists."""
    agents = (
        Agent.objects.filter(
            Q(penalty_until__gt=now) | Q(no_answer_count__gt=0) | ~Q(misconfigured=""))
        .order_by("name")
        .values("id", "name", "sip_user", "sip_domain", "penalty_reason", "penalty_until",
                "no_answer_count", "misconfigured")[:PROBLEM_ROWS]
    )
    trunks = Trunk.objects.exclude(misconfigured_on={}).order_by("name").values(
        "id", "name", "gateway", "misconfigured_on")[:PROBLEM_ROWS]
    return {
        # Nodes whose answered calls have no CDR: a lost event then means an unknown outcome.
        "cdr_nodes": nodes_without_cdrs(now),
        "agents": [
            {**row, "penalty_until": row["penalty_until"].isoformat()
             if row["penalty_until"] and row["penalty_until"] > now else None}
            for row in agents
        ],
        "trunks": [
            {"id": row["id"], "name": row["name"], "gateway": row["gateway"],
             "nodes": [{"node": node, **(mark if isinstance(mark, dict) else {})}
                       for node, mark in sorted((row["misconfigured_on"] or {}).items())]}
            for row in trunks
        ],
    }


def system_snapshot(now: dt.datetime) -> dict[str, Any]:
    """Return the whole system's database figures, computed at most once per CACHE_SECONDS."""
    return _cached("dashboard:system", lambda: compute_system_snapshot(now))
