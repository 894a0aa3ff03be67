"""An agent leg through the SIP proxy gets one second less of `leg_timeout`, so it still gives
up within the allowance: on a plain sofia leg FreeSWITCH ends the ring after more than N whole
seconds (lab: 2.57 s for leg_timeout=2), on a `user/` leg within N (captures 29, 29b)."""

from __future__ import annotations

import pytest

from telephony.originate import (
    AgentProxy,
    leg_timeout_for,
    render_agent_transfer,
    render_hello_transfer,
)

UUID = "5d6f3a2e-1111-4aaa-8bbb-0123456789ab"
PROXY = AgentProxy("10.0.0.2", 5060)


@pytest.mark.parametrize(("seconds", "proxy", "rendered"), [
    (2, None, 2), (15, None, 15), (2, PROXY, 1), (15, PROXY, 14), (1, PROXY, 1),
])
def test_the_proxy_leg_gets_one_second_less_never_below_one(seconds, proxy, rendered):
    assert leg_timeout_for(seconds, proxy) == rendered


def test_the_hello_transfer_through_the_proxy_rings_within_two_seconds():
    command = render_hello_transfer(UUID, "1000", "agents.sb.test", 2, "tone:500/500/480+620x4",
                                    agent_proxy=PROXY)
    assert "bridge:{leg_timeout=1}sofia/internal/1000@10.0.0.2:5060|" in command
    on_node = render_hello_transfer(UUID, "1000", "agents.sb.test", 2, "tone:500/500/480+620x4")
    assert "bridge:{leg_timeout=2}user/1000@agents.sb.test|" in on_node


def test_a_failover_through_the_proxy_keeps_the_campaigns_ring_time():
    command = render_agent_transfer(UUID, "1000", "agents.sb.test", 15, 0,
                                    "tone:500/500/480+620x4", agent_proxy=PROXY)
    assert "bridge:{leg_timeout=14}sofia/internal/1000@10.0.0.2:5060|" in command
