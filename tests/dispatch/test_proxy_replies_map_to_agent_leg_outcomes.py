"""Through a SIP proxy, its replies map to the agent-leg outcomes the dialer already has."""

from __future__ import annotations

import pytest

from campaigns.services.call_path.outcomes import Penalty, agent_penalty


@pytest.mark.parametrize("cause,penalty", [
    ("SUBSCRIBER_ABSENT", Penalty.NOT_REGISTERED),  # 480 + Reason Q.850 cause 20: not there
    ("UNALLOCATED_NUMBER", Penalty.MISCONFIGURED),  # 404: the proxy does not know the agent
    ("RECOVERY_ON_TIMER_EXPIRE", Penalty.NO_ANSWER),  # 408: no final answer from the phone
    ("USER_BUSY", Penalty.BUSY),  # 486
    ("NO_USER_RESPONSE", Penalty.NO_ANSWER),  # a bare 480
    ("CALL_REJECTED", Penalty.REJECT),  # 603
    ("NORMAL_CLEARING", Penalty.NONE),
])
def test_proxy_replies(cause, penalty):
    assert agent_penalty(cause, via_proxy=True) is penalty


def test_on_a_node_subscriber_absent_is_still_a_misconfigured_agent():
    assert agent_penalty("SUBSCRIBER_ABSENT") is Penalty.MISCONFIGURED
