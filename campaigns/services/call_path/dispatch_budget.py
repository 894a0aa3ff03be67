"""Budget math for the tick, pure: how many targets one campaign may claim this second."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from campaigns.models import Campaign
from telephony.config import NodeConfig
from telephony.pacing import SESSIONS_PER_CALL


@dataclass(frozen=True, slots=True)
class Limits:
    """Everything that caps one campaign's claim this tick; each figure is 'how many more'."""

    campaign_free: int  # max_concurrent minus calls live or in flight
    trunk_free: int  # the trunk's max_concurrent minus its live calls and in-flight targets
    cps_tokens: int  # calls the trunk and campaign buckets pass in the next second
    node_room: int  # calls the usable nodes can take (sessions and sps - 1), summed
    agents: int  # routable agents of the campaign's group on usable nodes (unknown = 0)

    def budget(self) -> int:
        """The number of targets to claim: the smallest limit, never negative."""
        return max(0, min(self.campaign_free, self.trunk_free, self.cps_tokens,
                          self.node_room, self.agents))


def node_room(node: NodeConfig, session_count: int | None, max_sessions: int | None,
              live: int, tokens: int) -> int:
    """Calls one node can take now: session headroom (the tighter of config and HEARTBEAT), CPS.

    `session_count` and `max_sessions` are FreeSWITCH sessions; `live` and the result are calls,
    each two sessions (telephony.pacing.SESSIONS_PER_CALL).
    """
    limit = node.max_sessions if max_sessions is None else min(node.max_sessions, max_sessions)
    # HEARTBEAT figures are up to 20 s old; our live set is current: trust the larger load.
    busy = max(session_count or 0, live * SESSIONS_PER_CALL)
    return max(0, min((limit - busy) // SESSIONS_PER_CALL, tokens))


def open_zones(campaign: Campaign, now: dt.datetime, zones: Iterable[str]) -> list[str]:
    """The zones, among `zones`, in which the campaign's daily window is open at `now`."""
    return [zone for zone in zones if campaign.is_in_window(now, zone)]


@functools.cache
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def batches(ids: Sequence[int], size: int) -> list[list[int]]:
    """Split claimed ids into dial tasks of at most `size` targets."""
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]
