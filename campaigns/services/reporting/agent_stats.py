"""Per-agent statistics for a period: calls, talk, handle and wrap-up time, refusals, pauses.

Call figures come from the attempts (one GROUP BY on attempt_agent_ended_idx); time figures
replay the agent state-change log (campaigns.services.floor.agent_log) from each agent's state at
the start of the period: available time is time registered, intent available and idle;
paused time is split by the pause reason. A wrap-up ends by itself (the store publishes no
event when it lapses), so the replay ends it after the agent's own wrap-up length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from campaigns.models import Agent, AgentStateChange, CallAttempt, Outcome

# Agent-leg hangup causes: refused (the agent declined) or missed (rang out unanswered).
REFUSED_CAUSES = ("CALL_REJECTED", "USER_BUSY")
MISSED_CAUSES = ("NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT")
AXES = ("intent", "activity", "registration")  # AgentStateChange.axis
COLUMNS = (
    ("agent", "Agent"), ("group", "Group"), ("calls", "Calls taken"),
    ("talk_seconds", "Talk time (s)"), ("average_handle_seconds", "Average handle time (s)"),
    ("wrapup_seconds", "Wrap-up time (s)"), ("refused", "Refused"), ("missed", "Missed"),
    ("available_seconds", "Time available (s)"), ("paused_seconds", "Time paused (s)"),
    ("paused_by_reason", "Paused by reason"), ("dispositions", "Dispositions"),
)


@dataclass
class _Replay:
    intent: str = "logged_out"
    reason: str = ""
    activity: str = "idle"
    online: bool = False
    since: float = 0.0
    wrapup_until: float | None = None
    available: float = 0.0
    wrapup: float = 0.0
    paused: dict[str, float] = field(default_factory=dict)

    def advance(self, to: float) -> None:
        """Credit the time from `since` to `to` to the state held meanwhile."""
        while self.since < to:
            end = to
            if self.activity == "wrapup" and self.wrapup_until is not None:
                end = min(to, max(self.since, self.wrapup_until))
            span = end - self.since
            if self.activity == "wrapup":
                self.wrapup += span
            elif self.intent == "paused":
                self.paused[self.reason or "(no reason)"] = (
                    self.paused.get(self.reason or "(no reason)", 0.0) + span)
            elif self.intent == "available" and self.activity == "idle" and self.online:
                self.available += span
            self.since = end
            if self.activity == "wrapup" and end >= (self.wrapup_until or end) and end < to:
                self.activity, self.wrapup_until = "idle", None
            elif end >= to:
                break

    def apply(self, row: AgentStateChange, wrapup_seconds: int) -> None:
        if row.axis == "intent":
            self.intent, self.reason = row.value, row.reason
        elif row.axis == "activity":
            self.activity = row.value
            self.wrapup_until = (row.at.timestamp() + wrapup_seconds
                                 if row.value == "wrapup" else None)
        elif row.axis == "registration":
            self.online = row.value == "online"


def agent_stats(start: dt.datetime, end: dt.datetime, group_id: int | None = None
                ) -> list[dict[str, Any]]:
    """One row per agent (of a group) for [start, end)."""
    agents = Agent.objects.select_related("group").order_by("name")
    if group_id is not None:
        agents = agents.filter(group_id=group_id)
    agent_rows = list(agents)
    ids = [a.id for a in agent_rows]
    calls = {
        row["agent_id"]: row for row in CallAttempt.objects.filter(
            agent_id__in=ids, ended_at__gte=start, ended_at__lt=end)
        .values("agent_id").annotate(
            calls=Count("id", filter=Q(bridged_at__isnull=False)),
            talk=Sum("billsec", filter=Q(bridged_at__isnull=False)),
            refused=Count("id", filter=Q(outcome=Outcome.AGENT_UNAVAILABLE,
                                         hangup_cause__in=REFUSED_CAUSES)),
            missed=Count("id", filter=Q(outcome=Outcome.AGENT_UNAVAILABLE,
                                        hangup_cause__in=MISSED_CAUSES)),
        ).order_by()
    }
    dispositions: dict[int, dict[str, int]] = {}
    for row in (CallAttempt.objects.filter(agent_id__in=ids, ended_at__gte=start,
                                           ended_at__lt=end, disposition__isnull=False)
                .values("agent_id", "disposition__label").annotate(n=Count("id"))
                .order_by("agent_id", "disposition__label")):
        dispositions.setdefault(row["agent_id"], {})[row["disposition__label"]] = row["n"]
    replays = {a.id: _Replay(since=start.timestamp()) for a in agent_rows}
    wrapups = {a.id: a.wrapup_seconds for a in agent_rows}
    # Each agent's state at the start: the last change of each axis before it.
    # Portable SQL (no PostgreSQL-only DISTINCT ON): one index seek per agent and axis for the
    # id of its last change, then those rows.
    last = {f"last_{axis}": Subquery(
        AgentStateChange.objects.filter(agent_id=OuterRef("pk"), axis=axis, at__lt=start)
        .order_by("-at", "-id").values("id")[:1]) for axis in AXES}
    last_ids = [change_id for row in Agent.objects.filter(id__in=ids).annotate(**last)
                .values(*last) for change_id in row.values() if change_id is not None]
    before = AgentStateChange.objects.filter(id__in=last_ids).order_by("agent_id", "axis")
    for row in before:
        replays[row.agent_id].apply(row, wrapups[row.agent_id])
    for replay in replays.values():
        if replay.wrapup_until is not None and replay.wrapup_until <= replay.since:
            replay.activity, replay.wrapup_until = "idle", None
    for row in (AgentStateChange.objects.filter(agent_id__in=ids, at__gte=start, at__lt=end)
                .order_by("agent_id", "at", "id").iterator(chunk_size=5000)):
        replay = replays[row.agent_id]
        replay.advance(row.at.timestamp())
        replay.apply(row, wrapups[row.agent_id])
    stop = min(end, dt.datetime.now(tz=dt.UTC)).timestamp()
    out = []
    for agent in agent_rows:
        replay = replays[agent.id]
        replay.advance(max(stop, replay.since))
        c = calls.get(agent.id, {})
        taken, talk = c.get("calls") or 0, c.get("talk") or 0
        out.append({
            "agent_id": agent.id,
            "agent": agent.name,
            "sip": agent.presence_key,
            "group": agent.group.name,
            "calls": taken,
            "talk_seconds": talk,
            "average_handle_seconds": round((talk + replay.wrapup) / taken, 1) if taken else None,
            "wrapup_seconds": round(replay.wrapup),
            "refused": c.get("refused") or 0,
            "missed": c.get("missed") or 0,
            "available_seconds": round(replay.available),
            "paused_seconds": round(sum(replay.paused.values())),
            "paused_by_reason": {k: round(v) for k, v in sorted(replay.paused.items())},
            "dispositions": dispositions.get(agent.id, {}),
        })
    return out


def stats_rows(rows: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """The statistics as export rows (header first), pauses as "lunch 600; break 300"."""
    yield [label for _, label in COLUMNS]
    for row in rows:
        yield [
            "; ".join(f"{k} {v}" for k, v in row[key].items())
            if key in ("paused_by_reason", "dispositions")
            else ("" if row[key] is None else row[key])
            for key, _ in COLUMNS
        ]
