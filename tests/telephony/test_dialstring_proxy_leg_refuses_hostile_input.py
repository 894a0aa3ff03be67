"""The agent leg through a SIP proxy is rendered only from values that pass their grammars."""

from __future__ import annotations

import pytest

from telephony.dialstring import ESL_METACHARACTERS, DialstringError, render_proxy_leg
from telephony.originate import (
    AgentProxy,
    Mode,
    OriginateRequest,
    agent_leg,
    render_hello_transfer,
    render_originate,
)

HOSTILE = ["10\n00", "1000,1001", "1000}", "1000'", "10 00", "1000&x", "1000|x", "", "1000;x",
           "1000@evil", "1000:5060"]


def test_the_leg_names_profile_user_and_proxy():
    assert render_proxy_leg("internal", "1000", "10.0.0.2", 5060) == \
        "sofia/internal/1000@10.0.0.2:5060"
    assert render_proxy_leg("internal", "1000", "kam.example.com", 5060, "tcp") == \
        "sofia/internal/1000@kam.example.com:5060;transport=tcp"


@pytest.mark.parametrize("user", HOSTILE)
def test_hostile_users_are_refused(user):
    with pytest.raises(DialstringError):
        render_proxy_leg("internal", user, "10.0.0.2", 5060)


@pytest.mark.parametrize("host", ["10.0.0.2\n", "a,b", "a}b", "a'b", "a b", "a&b", "a|b",
                                  "10.0.0.2:5060", "999.1.1.1", ""])
def test_hostile_hosts_are_refused(host):
    with pytest.raises(DialstringError):
        render_proxy_leg("internal", "1000", host, 5060)


@pytest.mark.parametrize("profile", ["int ernal", "internal}", "a,b", "a|b", "a'b", "a&b", ""])
def test_hostile_profiles_are_refused(profile):
    with pytest.raises(DialstringError):
        render_proxy_leg(profile, "1000", "10.0.0.2", 5060)


@pytest.mark.parametrize("port,transport", [(0, "udp"), (65536, "udp"), ("5060", "udp"),
                                            (True, "udp"), (5060, "tls"), (5060, "udp;x")])
def test_bad_ports_and_transports_are_refused(port, transport):
    with pytest.raises(DialstringError):
        render_proxy_leg("internal", "1000", "10.0.0.2", port, transport)


def test_the_user_leg_is_kept_without_a_proxy():
    assert agent_leg("1000", "127.0.0.1", None) == "user/1000@127.0.0.1"


# agent_at_hello names no agent at originate time (its hello transfer goes through the proxy).
@pytest.mark.parametrize("mode", [m for m in Mode if m is not Mode.AGENT_AT_HELLO])
def test_originate_sends_the_agent_leg_to_the_proxy(mode):
    request = OriginateRequest(
        mode=mode, attempt_id=1, call_uuid="11111111-2222-3333-4444-555555555555",
        gateway="carrier", number="+15555550100", agent_user="1000",
        agent_domain="agents.sb.test", timeout_s=30,
        b_leg_uuid="11111111-2222-3333-4444-666666666666",
        agent_proxy=AgentProxy("10.0.0.2", 5060))
    command = render_originate(request)
    assert "sofia/internal/1000@10.0.0.2:5060" in command
    assert "user/1000" not in command
    leg = command.split("sofia/internal/1000@", 1)[1]
    assert not set(leg.split()[0].split("|")[0].rstrip(")")) & (ESL_METACHARACTERS - set(":"))


def test_the_hello_transfer_dials_the_agent_through_the_proxy():
    # Through a proxy leg_timeout=N gives up after N to N+1 s (lab): the 2 s allowance renders 1.
    command = render_hello_transfer("11111111-2222-3333-4444-555555555555", "1000",
                                    "agents.sb.test", 2, "tone:500/500/480+620x1",
                                    AgentProxy("10.0.0.2", 5060, "tcp"))
    assert "'m:|:bridge:{leg_timeout=1}sofia/internal/1000@10.0.0.2:5060;transport=tcp|" in command
    assert "user/1000" not in command


@pytest.mark.parametrize("user", HOSTILE)
def test_the_hello_transfer_refuses_a_hostile_agent(user):
    with pytest.raises(DialstringError):
        render_hello_transfer("11111111-2222-3333-4444-555555555555", user, "agents.sb.test", 2,
                              "tone:500/500/480+620x1", AgentProxy("10.0.0.2", 5060))
