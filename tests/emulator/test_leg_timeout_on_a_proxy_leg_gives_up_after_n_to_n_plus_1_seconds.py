"""`{leg_timeout=N}` on a plain sofia leg (an agent through the SIP proxy) as on real FreeSWITCH.

Lab, FreeSWITCH 1.10.12 behind Kamailio (2026-12-08): the hello transfer's
`bridge:{leg_timeout=2}sofia/internal/1000@127.0.0.1:5066` to a frozen phone ended the agent leg
`ALLOTTED_TIMEOUT` (send_cancel, 487) 2.57 s after it started: switch_ivr_originate's per-leg
check is `elapsed > N` on epoch seconds, so N gives up N to N+1 s later. A `user/` leg is
originated again inside mod_dptools with N as its call timeout (`>=`): N-1 to N s, NO_ANSWER
(captures 29, 29b), unchanged.
"""

from __future__ import annotations

from tests.emulator.calls import SUBSCRIBE, wait_gone

A = "00000000-0000-4000-8000-00000000a001"


def _call(conn, bridge: str) -> None:
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true,attempt_id=901,"
        f"continue_on_fail=true}}sofia/gateway/carrier1/+14157775001 "
        f"'m:|:bridge:{bridge}|park' inline"
    )


def _agent_leg(cluster, number: str) -> dict:
    return next(c for c in cluster.node("fs1").channels() if c["number"] == number)


def test_a_sofia_leg_rings_more_than_n_whole_seconds_and_ends_allotted_timeout(cluster, esl):
    cluster.node("fs1").set_outcome(pattern="1077", kind="no_answer")
    conn = esl()
    _call(conn, "{leg_timeout=1}sofia/internal/1077@127.0.0.1:5999")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK", timeout=10)
    leg = _agent_leg(cluster, "1077")
    assert leg["hangup_cause"] == "ALLOTTED_TIMEOUT"
    rang = float(leg["hangup_at"]) - float(leg["created"])
    assert 1.0 <= rang <= 2.2  # more than N whole epoch seconds: N to N+1 s
    assert int(leg["hangup_at"]) - int(leg["created"]) == 2
    assert conn.api(f"uuid_getvar {A} originate_disposition") == "ALLOTTED_TIMEOUT"
    conn.api(f"uuid_kill {A}")
    wait_gone(conn, A)


def test_a_user_leg_still_gives_up_within_n_seconds_with_no_answer(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)
    fs1.set_agent_phone(user="1001", kind="no_answer")
    conn = esl()
    _call(conn, "{leg_timeout=2}user/1001@127.0.0.1")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK", timeout=10)
    leg = _agent_leg(cluster, "1001")
    assert leg["hangup_cause"] == "NO_ANSWER"
    assert int(leg["hangup_at"]) - int(leg["created"]) == 2
    assert float(leg["hangup_at"]) - float(leg["created"]) <= 2.05
    conn.api(f"uuid_kill {A}")
    wait_gone(conn, A)
