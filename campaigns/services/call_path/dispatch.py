"""The dispatcher's once-a-second tick (the claim: dispatch_claim; the math: dispatch_budget).

`tick(now, enqueue)` (DESIGN.md call path step 1):

1. Move campaigns by date: scheduled ones whose start arrived to running, running or paused ones
   past their end date to completed (the lifecycle services, so each move is audited).
2. Read the shared capacity once: usable nodes (up in presence, room under their session limit,
   CPS tokens under sps - 1), live calls per trunk and campaign, routable agents per group.
3. For each running campaign inside its window, budget = the smallest of its free concurrency,
   its trunk's free concurrency, the CPS tokens of its trunk and campaign, the node room, and the
   routable agents of its group. Capacity shared between campaigns (trunks, nodes, groups) is
   drawn down as campaigns claim, so two campaigns never both spend the same room.
   A predictive or fixed-ratio campaign (connect mode `agent_at_hello`: no agent reserved before
   the hello) replaces the routable-agent count with its pacer's decision
   (`dispatch_pacing.over_dial`), so it places more calls than free agents.
4. Claim that many due targets in one statement and hand them to `enqueue(ids, node)` in batches
   of DISPATCH_BATCH_SIZE after the claim commits (the dial task moves each queued -> dialing).

The tick only reads the token buckets: the dial task takes the tokens (all scopes at once) when it
places each call, so the budget is what can be dialled in the next second, not a reservation.
Everything a tick reads is O(campaigns + nodes) plus O(budget) rows and agents (presence is read
only until enough routable agents are found), never O(targets).

With `use_target_timezone`, the campaign's daily window is applied in each target's own zone
(blank: the campaign's zone) instead of the campaign's: the claim keeps only targets whose zone
is open now, as a WHERE on the list of open zones computed for this tick.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from redis.exceptions import LockNotOwnedError

from campaigns.models import Agent, Campaign, CampaignStatus, Target, TargetState
from campaigns.services import lifecycle
from campaigns.services.call_path import dispatch_pacing
from campaigns.services.call_path.dispatch_budget import (
    Limits,
    all_zones,
    batches,
    node_room,
    open_zones,
)
from campaigns.services.call_path.dispatch_claim import claim_due_targets, reap_queued
from campaigns.services.call_path.nodes import configured_nodes
from campaigns.services.call_path.stores import pacer, presence, redis_client
from telephony import predictive
from telephony.pacing import campaign_scope, node_scope, trunk_scope

log = logging.getLogger(__name__)

Enqueue = Callable[[list[int], str | None], None]
IN_FLIGHT = (TargetState.QUEUED, TargetState.DIALING)

__all__ = ["Limits", "TickReport", "batches", "claim_due_targets", "node_room", "reap_queued",
           "run_tick", "tick"]


@dataclass
class TickReport:
    """What one tick did, for logs, the dashboard and tests."""

    at: dt.datetime
    started: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    considered: list[int] = field(default_factory=list)  # running and inside the window
    budgets: dict[int, Limits] = field(default_factory=dict)
    claimed: dict[int, list[int]] = field(default_factory=dict)
    batches: int = 0
    skipped: bool = False  # another tick held the lock
    pacing: dict[int, predictive.Decision] = field(default_factory=dict)  # paced campaigns

    @property
    def claimed_total(self) -> int:
        return sum(len(ids) for ids in self.claimed.values())


def _routable_agents(caps: dict[int, int], usable: set[str], now: float,
                     page: int = 64) -> dict[int, int]:
    """Routable agents per group id on usable nodes, counted up to each group's cap.

    Presence is read a page of agents at a time and counting stops at the cap (what the other
    limits could use at most), so a tick reads a few agents, not every agent of a large group.
    An agent presence does not know is offline (fail closed).
    """
    counts = dict.fromkeys(caps, 0)
    wanted = [gid for gid, cap in caps.items() if cap > 0]
    if not wanted or not usable:
        return counts
    rows = (Agent.objects.filter(group_id__in=wanted, enabled=True)
            .order_by("group_id", "id").values_list("group_id", "sip_user", "sip_domain"))
    members: dict[int, list[str]] = {}
    for group_id, user, domain in rows:
        members.setdefault(group_id, []).append(f"{user}@{domain}")
    store = presence()
    # An agent registered with a SIP proxy is reachable from every usable node through it.
    reachable = usable | set(store.proxies)
    for group_id, agents in members.items():
        for start in range(0, len(agents), page):
            if counts[group_id] >= caps[group_id]:
                break
            views = store.snapshot(agents[start:start + page], now)
            counts[group_id] += sum(
                1 for view in views.values()
                if view.routable and any(r.trusted and not r.unreachable and r.node in reachable
                                         for r in view.registrations)
            )
    return counts


def _horizon() -> float:
    """Seconds until the next tick: the budget is what the buckets pass until then."""
    return float(settings.CELERY_TICK_SECONDS)


def _node_capacity(epoch: float) -> dict[str, int]:
    """Room per usable node: up in presence (unknown = down), sessions and CPS under the limit."""
    nodes = configured_nodes()
    if not nodes:
        return {}
    statuses = presence().node_statuses()
    pace = pacer()
    live = pace.counts([f"node:{n.name}" for n in nodes])
    # Fail closed: after Redis lost its data a node's live sets are empty until a reconcile
    # rebuilt them from its channel list; until then its room is unknown, so it has none.
    rebuilt = pace.rebuilt([n.name for n in nodes])
    room: dict[str, int] = {}
    for node in nodes:
        status = statuses.get(node.name)
        if status is None or not status.up or node.name not in rebuilt:
            continue
        tokens = pace.available([node_scope(node.name, node.max_cps)], epoch, _horizon())
        room[node.name] = node_room(node, status.session_count, status.max_sessions,
                                    live[f"node:{node.name}"], tokens)
    return {name: n for name, n in room.items() if n > 0}


def _draw(room: dict[str, int], n: int) -> None:
    """Take n calls of room from the nodes, fullest first (the dial picks the real node)."""
    for name in sorted(room, key=room.__getitem__, reverse=True):
        take = min(n, room[name])
        room[name] -= take
        n -= take
        if not n:
            return


def run_tick(now: dt.datetime, enqueue: Enqueue) -> TickReport:
    """One tick without the lock: see the module docstring."""
    report = TickReport(at=now)
    epoch = now.timestamp()
    report.started = lifecycle.start_due_campaigns(now)
    report.completed = lifecycle.complete_ended_campaigns(now)

    campaigns = list(Campaign.objects.filter(status=CampaignStatus.RUNNING)
                     .select_related("trunk", "agent_group").order_by("id"))
    open_now: list[tuple[Campaign, list[str] | None]] = []
    for campaign in campaigns:
        if campaign.use_target_timezone:
            if (campaign.starts_at and now < campaign.starts_at) or (
                    campaign.ends_at and now >= campaign.ends_at):
                continue
            zones = open_zones(campaign, now, all_zones())
            if campaign.is_in_window(now):
                zones.append("")  # a target with no zone of its own follows the campaign's
            if zones:
                open_now.append((campaign, zones))
        elif campaign.is_in_window(now):
            open_now.append((campaign, None))
    report.considered = [c.id for c, _ in open_now]
    if not open_now:
        return report

    # Shared capacity, read once per tick and drawn down as campaigns claim.
    room = _node_capacity(epoch)
    states: dict[tuple[int, str], int] = {
        (cid, state): n for cid, state, n in
        Target.objects.filter(campaign_id__in=[c.id for c, _ in open_now], state__in=IN_FLIGHT)
        .values_list("campaign_id", "state").annotate(n=Count("id")).order_by()
    }
    pace = pacer()
    trunks = {c.trunk_id: c.trunk for c, _ in open_now}
    live = pace.counts([f"trunk:{t}" for t in trunks] + [f"campaign:{c.id}" for c, _ in open_now])
    # Busy = calls live (or being placed: a dialing target may not be in the live set yet) plus
    # targets claimed but not yet picked up by a dial task.
    busy = {
        c.id: max(live[f"campaign:{c.id}"], states.get((c.id, TargetState.DIALING), 0))
        + states.get((c.id, TargetState.QUEUED), 0)
        for c, _ in open_now
    }
    trunk_used = {t: live[f"trunk:{t}"] for t in trunks}
    for campaign, _ in open_now:
        trunk_used[campaign.trunk_id] += busy[campaign.id] - live[f"campaign:{campaign.id}"]
    trunk_tokens = {t: pace.available([trunk_scope(t, trunk.cps_limit)], epoch, _horizon())
                    for t, trunk in trunks.items()}

    campaign_tokens = {
        c.id: pace.available([campaign_scope(c.id, c.calls_per_second)], epoch, _horizon())
        for c, _ in open_now
    }
    # What each group's campaigns could use at most without the agent limit: agents are
    # counted only that far.
    caps: dict[int, int] = {}
    for campaign, _ in open_now:
        cap = max(0, min(campaign.max_concurrent - busy[campaign.id],
                         campaign.trunk.max_concurrent - trunk_used[campaign.trunk_id],
                         trunk_tokens[campaign.trunk_id], campaign_tokens[campaign.id],
                         sum(room.values())))
        caps[campaign.agent_group_id] = caps.get(campaign.agent_group_id, 0) + cap
    agents = _routable_agents(caps, set(room), epoch)

    for campaign, zones in open_now:
        free_agents = agents.get(campaign.agent_group_id, 0)
        if dispatch_pacing.paced(campaign):  # the over-dial seam: calls the pacer places now
            decision = dispatch_pacing.over_dial(
                campaign, now, set(room), states.get((campaign.id, TargetState.QUEUED), 0),
                states.get((campaign.id, TargetState.DIALING), 0))
            report.pacing[campaign.id] = decision
            free_agents = decision.calls
        limits = Limits(
            campaign_free=campaign.max_concurrent - busy[campaign.id],
            trunk_free=campaign.trunk.max_concurrent - trunk_used[campaign.trunk_id],
            cps_tokens=min(trunk_tokens[campaign.trunk_id], campaign_tokens[campaign.id]),
            node_room=sum(room.values()),
            agents=free_agents,
        )
        report.budgets[campaign.id] = limits
        wanted = limits.budget()
        if not wanted:
            continue
        ids = claim_due_targets(campaign.id, wanted, now, zones)
        if not ids:
            continue
        report.claimed[campaign.id] = ids
        trunk_used[campaign.trunk_id] += len(ids)
        trunk_tokens[campaign.trunk_id] -= len(ids)
        agents[campaign.agent_group_id] -= len(ids)
        _draw(room, len(ids))
        for batch in batches(ids, settings.DISPATCH_BATCH_SIZE):
            # Publish after commit: a dial task must never see its targets still pending.
            transaction.on_commit(functools.partial(enqueue, batch, None))
            report.batches += 1
    return report


def tick(now: dt.datetime, enqueue: Enqueue, lock_seconds: float = 10.0) -> TickReport:
    """Run one tick unless another is running (a Redis lock), and record that it ran."""
    client = redis_client()
    base = f"{settings.REDIS_KEY_PREFIX}:dispatch"
    # Ticks that overlap (a slow one and the next) would budget the same capacity twice. A lock
    # that lapsed during a slow tick belongs to the next one: releasing it is then a no-op.
    lock = client.lock(f"{base}:tick-lock", timeout=lock_seconds, blocking=False,
                       thread_local=False)
    if not lock.acquire():
        return TickReport(at=now, skipped=True)
    started = time.monotonic()
    try:
        with transaction.atomic():
            report = run_tick(now, enqueue)
    finally:
        with contextlib.suppress(LockNotOwnedError):
            lock.release()
    pipe = client.pipeline(transaction=False)
    pipe.hset(f"{base}:tick", mapping={
        "last_at": f"{now.timestamp():.6f}",
        "last_ms": f"{(time.monotonic() - started) * 1000:.3f}",
        "last_claimed": report.claimed_total,
    })
    pipe.hincrby(f"{base}:tick", "count", 1)
    pipe.lpush(f"{base}:ticks", f"{now.timestamp():.6f}")
    pipe.ltrim(f"{base}:ticks", 0, 299)
    pipe.execute()
    if report.claimed_total:
        log.info("tick: claimed %d targets in %d batches for campaigns %s",
                 report.claimed_total, report.batches, sorted(report.claimed))
    return report
