"""A small dispatch world for tick tests: nodes up in presence, routable agents, a campaign.

Nodes come up through telephony.staging, the same code the benches use."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Campaign, CampaignStatus, Target, TargetState
from telephony.presence import PresenceStore
from telephony.staging import bring_up
from tests.factories import make_agent, make_campaign, make_group, make_node, make_trunk

ALL_DAYS = 0b1111111


def running_campaign(store: PresenceStore, now: dt.datetime, *, agents: int = 5,
                     nodes: int = 1, **fields) -> Campaign:
    """A running campaign whose group has `agents` routable agents spread over `nodes` nodes."""
    group = make_group()
    trunk = make_trunk(cps_limit=fields.pop("trunk_cps", 1000),
                       max_concurrent=fields.pop("trunk_max_concurrent", 10_000))
    people = [make_agent(group) for _ in range(agents)]
    node_rows = [make_node(max_cps=fields.pop("node_cps", 1001), max_sessions=10_000)
                 for _ in range(nodes)]
    store.sync_agents({group.name: [(a.presence_key, 0, True) for a in people]}, now.timestamp())
    for i, node in enumerate(node_rows):
        bring_up(store, node.name, [a.presence_key for a in people[i::nodes]], now.timestamp())
    fields.setdefault("weekdays", ALL_DAYS)
    fields.setdefault("daily_start", dt.time(0, 0))
    fields.setdefault("daily_end", dt.time(0, 0))
    fields.setdefault("max_concurrent", 1000)
    fields.setdefault("calls_per_second", 1000)
    return make_campaign(trunk=trunk, agent_group=group, status=CampaignStatus.RUNNING, **fields)


def add_targets(campaign: Campaign, count: int, **fields) -> list[int]:
    """Bulk-create pending targets with distinct numbers; return their ids in order."""
    rows = [Target(campaign=campaign, number=f"+1415{i:07d}", **fields) for i in range(count)]
    Target.objects.bulk_create(rows, batch_size=2000)
    ids = Target.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    return list(ids)


def states(campaign: Campaign) -> dict[str, int]:
    out: dict[str, int] = {}
    for state in Target.objects.filter(campaign=campaign).values_list("state", flat=True):
        out[state] = out.get(state, 0) + 1
    return out


QUEUED = TargetState.QUEUED
PENDING = TargetState.PENDING
