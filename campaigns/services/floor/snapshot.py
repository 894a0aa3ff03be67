"""The supervisor's floor: who is doing what now, which calls are live, how a campaign is doing.

Cost, whatever the number of targets or attempts: the agents table is one query for the agents,
one GROUP BY for today's calls per agent (index attempt_agent_ended_idx), two Redis pipelines
for presence and one for the agents' current calls; the calls table is one sorted-set page and
one pipeline (telephony.floor), never a scan of attempts. Snapshots are cached for a second so
any number of supervisors cost one computation per second.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, F, Min, Q, Sum
from django.utils import timezone

from campaigns.models import (
    Agent,
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    DialMode,
    Outcome,
    TargetState,
)
from campaigns.services.call_path.dispatch_pacing import last_decision, paced
from campaigns.services.floor.presence import store as presence_store
from telephony.floor import LiveCalls
from telephony.presence_views import AgentPresence

CACHE_SECONDS = 1
MAX_FRESH_SECONDS = 5
TODAY_CACHE_SECONDS = 10
REFRESH_LOCK_SECONDS = 30
CALLS_PAGE = 200  # the calls table shows the longest calls first, this many at most

# State codes in the order a supervisor scans them (the table's default sort).
STATE_ORDER = ("misconfigured", "phone_offline", "on_call", "ringing", "reserved", "wrapup",
               "paused", "available", "logged_out", "disabled")


def live_calls() -> LiveCalls:
    """The live-call registry under this deployment's prefix."""
    return LiveCalls(presence_store().client, settings.REDIS_KEY_PREFIX)


def clock_label(epoch: float, zone: zoneinfo.ZoneInfo) -> str:
    """10:42 in the supervisor's zone."""
    return dt.datetime.fromtimestamp(epoch, tz=zone).strftime("%H:%M")


def presence_words(p: AgentPresence, now: float, zone: zoneinfo.ZoneInfo) -> tuple[str, str]:
    """(state code, the words a supervisor uses) for one agent's three axes.

    What the agent is doing comes before what the agent intends: a paused agent still on a
    call reads "On a call". A "misconfigured" flag (agent-leg failures, from the failover
    work) is shown when the presence record carries one.
    """
    if not p.known or not p.enabled:
        return "disabled", "Disabled"
    if getattr(p, "misconfigured", False):
        return "misconfigured", "Misconfigured"
    if p.activity == "on_call":
        return "on_call", "On a call"
    if p.activity == "ringing":
        return "ringing", "Ringing"
    if p.activity == "reserved":
        return "reserved", "Reserved"
    if p.activity == "wrapup" and p.activity_until:
        return "wrapup", f"Wrap-up until {clock_label(p.activity_until, zone)}"
    if p.intent == "logged_out":
        return "logged_out", "Logged out"
    if not p.registered:
        return "phone_offline", "Phone offline"
    if p.intent == "paused":
        return "paused", f"Paused: {p.reason}" if p.reason else "Paused"
    return "available", "Available"


def local_midnight(now: dt.datetime) -> dt.datetime:
    """Start of today in the server's zone (TIME_ZONE): "today" on the floor."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def today_per_agent(now: dt.datetime, group_id: int | None = None) -> dict[int, dict[str, int]]:
    """Calls taken and talk time today per agent id; cached TODAY_CACHE_SECONDS (it moves by
    one call at a time, while presence must be fresh every poll)."""
    key = f"floor:today:{group_id or 'all'}"
    value = cache.get(key)
    if value is None:
        today = CallAttempt.objects.filter(ended_at__gte=local_midnight(now),
                                           agent__isnull=False)
        if group_id is not None:
            today = today.filter(agent__group_id=group_id)
        value = {
            row["agent_id"]: {"calls": row["calls"], "talk": row["talk"] or 0}
            for row in today.values("agent_id").annotate(
                calls=Count("id", filter=Q(bridged_at__isnull=False)),
                talk=Sum("billsec", filter=Q(bridged_at__isnull=False)),
            ).order_by()
        }
        cache.set(key, value, TODAY_CACHE_SECONDS)
    return value


def compute_agents(now: dt.datetime, group_id: int | None = None) -> list[dict[str, Any]]:
    """The agents table: every enabled agent (of one group), its state, call and today."""
    epoch = now.timestamp()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    rows = Agent.objects.filter(enabled=True)
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    agents = list(rows.order_by("name").values(
        "id", "name", "sip_user", "sip_domain", "group__name"))
    keys = [f"{a['sip_user']}@{a['sip_domain']}" for a in agents]
    presence = presence_store().snapshot(keys, epoch)
    calls = live_calls().for_agents(keys)
    per_agent = today_per_agent(now, group_id)
    out = []
    for agent, key in zip(agents, keys, strict=True):
        p = presence[key]
        code, words = presence_words(p, epoch, zone)
        regs = [r for r in p.registrations if r.trusted and not r.unreachable] or list(
            p.registrations)
        reg = regs[0] if regs else None
        call = calls.get(key)
        since = p.state_since
        stats = per_agent.get(agent["id"], {})
        out.append({
            "id": agent["id"],
            "name": agent["name"],
            "agent": key,
            "group": agent["group__name"],
            "node": reg.node if reg else "",
            "transport": reg.transport if reg else "",
            "user_agent": reg.user_agent if reg else "",
            "state": code,
            "state_label": words,
            "reason": p.reason,
            "seconds_in_state": max(0, round(epoch - since)) if since else None,
            "call": call.as_dict(epoch) if call else None,
            "calls_today": stats.get("calls") or 0,
            "talk_seconds_today": stats.get("talk") or 0,
        })
    return out


def compute_floor(now: dt.datetime, campaign: Campaign | None = None,
                  limit: int = CALLS_PAGE) -> dict[str, Any]:
    """Agents and live calls for the whole system, or one campaign (its group, its calls)."""
    epoch = now.timestamp()
    registry = live_calls()
    campaign_id = campaign.pk if campaign else None
    agents = compute_agents(now, campaign.agent_group_id if campaign else None)
    calls = registry.page(epoch, limit, campaign_id=campaign_id)
    by_state: dict[str, int] = {}
    for row in agents:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    return {
        "generated_at": now.isoformat(),
        "agents": agents,
        "agents_by_state": by_state,
        "calls": [call.as_dict(epoch) for call in calls],
        "calls_total": registry.count(campaign_id),
        "calls_shown": len(calls),
    }


def floor_snapshot(now: dt.datetime, campaign: Campaign | None = None) -> dict[str, Any]:
    """The floor, computed by one process at a time, at most once per CACHE_SECONDS per scope.

    A computation that took long stays fresh for three times its cost (up to
    MAX_FRESH_SECONDS), so a huge floor never keeps more than a third of a core busy; while
    one process recomputes, every other poll gets the previous snapshot (no stampede).
    Durations tick in the browser between snapshots.
    """
    key = f"floor:{campaign.pk if campaign else 'system'}"
    entry = cache.get(key)
    if entry is not None:
        if entry["fresh_until"] > time.time():
            return entry["value"]
        if not cache.add(f"{key}:refresh", 1, REFRESH_LOCK_SECONDS):
            return entry["value"]
    started = time.perf_counter()
    value = compute_floor(now, campaign)
    fresh = min(MAX_FRESH_SECONDS, max(CACHE_SECONDS, 3 * (time.perf_counter() - started)))
    cache.set(key, {"value": value, "fresh_until": time.time() + fresh}, 60)
    cache.delete(f"{key}:refresh")
    return value


# --- campaign health ------------------------------------------------------------------------

# Outcomes counted as abandoned when the abandon work defines one (one line per new outcome).
ABANDON_OUTCOMES = tuple(o for o in ("abandoned",) if o in Outcome.values)


def _local_time(campaign: Campaign, at: dt.datetime, now: dt.datetime) -> str:
    """HH:MM in the campaign's zone (with the day when it is not today there)."""
    local = at.astimezone(campaign.zone)
    if local.date() == now.astimezone(campaign.zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def nothing_due(campaign: Campaign, now: dt.datetime, in_flight: int) -> dict[str, str] | None:
    """With no call in flight: "nothing left to dial", or "waiting: next retry at HH:MM"."""
    if in_flight:
        return None
    # One indexed query (target_due_idx): the earliest attempt time of what may still be dialled.
    waiting = campaign.targets.filter(
        state__in=(TargetState.PENDING, TargetState.RETRY_WAIT, TargetState.QUEUED,
                   TargetState.DIALING)).aggregate(
        left=Count("id"), due=Count("id", filter=Q(next_attempt_at__isnull=True)
                                    | Q(next_attempt_at__lte=now)),
        next_at=Min("next_attempt_at", filter=Q(next_attempt_at__gt=now)))
    if not waiting["left"]:
        return {"reason": "nothing_left", "text": "nothing left to dial"}
    if not waiting["due"] and waiting["next_at"] is not None:
        return {"reason": "waiting",
                "text": f"waiting: next retry at {_local_time(campaign, waiting['next_at'], now)}"
                        f" {campaign.timezone}"}
    return None


def why_not_dialling(campaign: Campaign, now: dt.datetime, available_agents: int,
                     registered_agents: int, in_flight: int | None = None,
                     ) -> dict[str, str] | None:
    """The reason a campaign cannot dial right now, in words, or None when it can.

    With `in_flight` (its live calls) it also tells an idle campaign that is waiting for a
    retry time, or has nothing left to dial, from one that is dialling.
    """
    if campaign.status != CampaignStatus.RUNNING:
        return {"reason": "status",
                "text": f"{CampaignStatus(campaign.status).label}: not dialling"}
    if not campaign.trunk.enabled:
        return {"reason": "trunk", "text": f"trunk {campaign.trunk.name} is disabled"}
    if not campaign.use_target_timezone and not campaign.is_in_window(now):
        opens = campaign.next_window_start(now)
        if opens is None:
            return {"reason": "window", "text": "outside its window: no window opens again"}
        local = opens.astimezone(campaign.zone)
        when = local.strftime("%H:%M") if local.date() == now.astimezone(
            campaign.zone).date() else local.strftime("%a %d %b %H:%M")
        return {"reason": "window",
                "text": f"outside its window: next window opens at {when} {campaign.timezone}"}
    if in_flight is not None and (idle := nothing_due(campaign, now, in_flight)) is not None:
        return idle
    if registered_agents == 0:
        return {"reason": "no_agents", "text": "no agents online in its group"}
    if available_agents == 0:
        return {"reason": "no_available_agents", "text": "every agent of its group is busy"}
    return None


def compute_health(campaign: Campaign, now: dt.datetime, agents: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    """Dial level, answer and contact rates, abandons, answer-to-agent time, attempts per hour."""
    hour_ago = now - dt.timedelta(hours=1)
    attempts = CallAttempt.objects.filter(campaign_id=campaign.pk)
    finished = attempts.exclude(outcome=Outcome.PENDING)
    figures = finished.aggregate(
        finished=Count("id"),
        answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
        abandoned=Count("id", filter=Q(outcome__in=ABANDON_OUTCOMES)),
    )
    contacted = attempts.filter(outcome=Outcome.ANSWERED).values("target_id").distinct().count()
    tried = campaign.targets.filter(attempts__gt=0).count()
    to_agent = attempts.filter(
        outcome=Outcome.ANSWERED, bridged_at__isnull=False, answered_at__isnull=False,
        created_at__gte=hour_ago,
    ).aggregate(avg=Avg(F("bridged_at") - F("answered_at")))["avg"]
    per_hour = attempts.filter(created_at__gte=hour_ago).count()
    available = sum(1 for a in agents if a["state"] == "available")
    registered = sum(1 for a in agents if a["state"] not in ("phone_offline", "logged_out",
                                                             "disabled"))
    in_flight = live_calls().count(campaign.pk)
    answered = figures["answered"]
    return {
        "calls_in_flight": in_flight,
        "agents_available": available,
        "dial_level": round(in_flight / available, 2) if available else None,
        "answer_rate": answered / figures["finished"] if figures["finished"] else None,
        "contact_rate": contacted / tried if tried else None,
        "abandon_rate": (figures["abandoned"] / (answered + figures["abandoned"])
                         if ABANDON_OUTCOMES and (answered + figures["abandoned"]) else None),
        "abandon_tracked": bool(ABANDON_OUTCOMES),
        # In target_first the callee answers first: bridge minus answer is their wait.
        "answer_to_agent_seconds": (round(to_agent.total_seconds(), 2)
                                    if to_agent is not None else None),
        "attempts_last_hour": per_hour,
        "blocked": why_not_dialling(campaign, now, available, registered, in_flight),
        "pacing": pacing_card(campaign),
    }


def pacing_card(campaign: Campaign) -> dict[str, Any]:
    """The dial-level card's pacing: the mode, the ceiling, and the tick's last decision (its
    real over-dial and why), or the reason there is none."""
    card: dict[str, Any] = {
        "dial_mode": campaign.dial_mode, "ceiling_pct": float(campaign.abandon_ceiling_pct),
        "formula": campaign.abandon_formula, "decision": None,
    }
    if campaign.dial_mode == DialMode.PROGRESSIVE:
        card["why"] = "progressive: one call per free agent"
    elif not paced(campaign):
        card["why"] = (f"{campaign.dial_mode} needs the {CampaignMode.AGENT_AT_HELLO.value} "
                       "connect mode: progressive")
    else:
        card["decision"] = last_decision(campaign.pk)
        card["why"] = (card["decision"] or {}).get("reason") or "no decision in the last 30 s"
    return card
