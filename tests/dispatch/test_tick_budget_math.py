"""Budget math, pure: the smallest limit wins, nothing is ever negative, node room is honest."""

from __future__ import annotations

import pytest

from campaigns.services.call_path.dispatch import Limits, batches, node_room
from telephony.config import NodeConfig

NODE = NodeConfig(name="fs1", host="127.0.0.1", port=8021, password="x", max_sessions=100,
                  max_cps=30)


@pytest.mark.parametrize(("limits", "budget"), [
    (Limits(campaign_free=10, trunk_free=10, cps_tokens=10, node_room=10, agents=10), 10),
    (Limits(campaign_free=3, trunk_free=10, cps_tokens=10, node_room=10, agents=10), 3),
    (Limits(campaign_free=10, trunk_free=2, cps_tokens=10, node_room=10, agents=10), 2),
    (Limits(campaign_free=10, trunk_free=10, cps_tokens=4, node_room=10, agents=10), 4),
    (Limits(campaign_free=10, trunk_free=10, cps_tokens=10, node_room=1, agents=10), 1),
    (Limits(campaign_free=10, trunk_free=10, cps_tokens=10, node_room=10, agents=0), 0),
    # Over-committed (more in flight than allowed after a settings change): zero, not negative.
    (Limits(campaign_free=-5, trunk_free=10, cps_tokens=10, node_room=10, agents=10), 0),
])
def test_the_budget_is_the_smallest_limit(limits, budget):
    assert limits.budget() == budget


# Sessions (HEARTBEAT, limits) against calls (live set, result): a connected call is two sessions.
@pytest.mark.parametrize(("session_count", "max_sessions", "live", "tokens", "room"), [
    (None, None, 0, 29, 29),  # no HEARTBEAT yet: the configured limit, CPS decides
    (None, None, 0, 80, 50),  # 100 sessions hold 50 calls
    (90, None, 0, 29, 5),  # HEARTBEAT says 90 of 100 sessions are taken: room for 5 calls
    (10, None, 45, 29, 5),  # our 45 live calls (90 sessions) are fresher than the HEARTBEAT
    (0, 40, 0, 50, 20),  # the node itself is configured lower than our row says
    (120, None, 0, 29, 0),  # over its limit: no room, never negative
    (0, None, 0, 0, 0),  # no CPS tokens this second
])
def test_node_room_takes_the_tighter_of_sessions_and_tokens(
        session_count, max_sessions, live, tokens, room):
    assert node_room(NODE, session_count, max_sessions, live, tokens) == room


def test_claimed_targets_are_split_into_bounded_batches():
    assert batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches([], 3) == []
