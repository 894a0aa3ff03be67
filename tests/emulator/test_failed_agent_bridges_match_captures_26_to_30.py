"""An agent leg that fails after the callee answered, replayed against captures 26-30.

The README's "Agent leg failures after the callee answered": USER_BUSY and a dead contact hang
the callee up with the B cause (HANGUP before EXECUTE_COMPLETE bridge); NO_ANSWER goes on with
the plan; the callee hanging up while the agent rings is ORIGINATOR_CANCEL on the agent leg.
"""

from __future__ import annotations

import time

from tests.emulator.calls import SUBSCRIBE, captured, event, events_of, picked, wait_gone
from tests.emulator.captures import captured_events
from tests.emulator.scenario import captured_sequence, sequence

A26 = "00000000-0000-4000-8000-000000000026"
A27 = "00000000-0000-4000-8000-000000000027"
A28 = "00000000-0000-4000-8000-000000000028"
A29 = "00000000-0000-4000-8000-000000000029"
A292 = "00000000-0000-4000-8000-000000000292"
A30 = "00000000-0000-4000-8000-000000000030"
B30 = "00000000-0000-4000-8000-000000000301"

C26 = "26-target-first-agent-dnd-486.esl.txt"
C27 = "27-target-first-agent-contact-dead.esl.txt"
C28 = "28-target-first-agent-no-answer-callee-hangs-up.esl.txt"
C29 = "29-target-first-bridge-leg-timeout.esl.txt"
C29B = "29b-target-first-bridge-fail-continue-on-fail.esl.txt"
C30 = "30-agent-first-agent-dnd-486.esl.txt"


def _agent(cluster, phone: str, user: str = "1001", port: int = 5073) -> None:
    fs1 = cluster.node("fs1")
    fs1.register_agent(user=user, transport="tcp", contact_port=port)
    fs1.set_agent_phone(user=user, kind=phone)


def _target_first(conn, uuid: str, attempt: int, number: str, bridge: str, extra: str = "") -> None:
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true,"
        f"attempt_id={attempt}{extra}}}sofia/gateway/carrier1/{number} "
        f"'sleep:100,send_dtmf:123@200,bridge:{bridge}' inline"
    )


def test_agent_on_dnd_hangs_the_callee_up_with_user_busy_as_in_capture_26(cluster, esl):
    _agent(cluster, "busy")
    conn = esl()
    _target_first(conn, A26, 126, "+14157771001", "user/1001@127.0.0.1")
    wait_gone(conn, A26)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C26)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A26)
    assert picked(done) == picked(captured(C26, "CHANNEL_HANGUP_COMPLETE", A26))
    assert done["variable_DIALSTATUS"] == "BUSY"
    assert done["variable_last_bridge_proto_specific_hangup_cause"] == "sip:486"
    assert done["Channel-Name"] == "sofia/external/+14157771001"
    # billsec subtracts whole epoch seconds (1 for 539 ms in the capture), billmsec milliseconds.
    real = captured(C26, "CHANNEL_HANGUP_COMPLETE", A26)
    for ev in (done, real):
        assert int(ev["variable_billsec"]) == (
            int(ev["variable_end_epoch"]) - int(ev["variable_answer_epoch"])
        )
    # The agent leg: 486 from the phone, refused before any answer.
    b = next(e for e in events if e["Event-Name"] == "CHANNEL_HANGUP" and e["Unique-ID"] != A26)
    real_b = next(
        e
        for e in captured_events(C26)
        if e["Event-Name"] == "CHANNEL_HANGUP" and e["Unique-ID"] != A26
    )
    keys = ("Hangup-Cause", "Channel-Name", "Other-Leg-Unique-ID", "variable_sip_term_status",
            "variable_sip_hangup_disposition", "variable_proto_specific_hangup_cause")  # fmt: skip
    assert picked(b, keys) == picked(real_b, keys)


def test_dead_agent_contact_hangs_the_callee_up_with_normal_temporary_failure_as_in_27(
    cluster, esl
):
    _agent(cluster, "dead")
    conn = esl()
    _target_first(conn, A27, 127, "+14157771001", "user/1001@127.0.0.1")
    wait_gone(conn, A27)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C27)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A27)
    assert picked(done) == picked(captured(C27, "CHANNEL_HANGUP_COMPLETE", A27))
    # The registration is still listed: sofia only learns the contact is dead by dialling it.
    assert [a["user"] for a in cluster.node("fs1").agents()] == ["1001"]


def test_callee_hanging_up_while_the_agent_rings_is_originator_cancel_as_in_capture_28(
    cluster, esl
):
    _agent(cluster, "no_answer")
    cluster.node("fs1").set_outcome(pattern="+14157771002", hangup_ms=600)
    conn = esl()
    _target_first(conn, A28, 128, "+14157771002", "user/1001@127.0.0.1")
    conn.wait_event(
        lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] != A28
    )
    conn.drain(0.1)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C28)
    # CHANNEL_HANGUP still carries what bridge set before dialling; HANGUP_COMPLETE the result.
    hangup = event(events, "CHANNEL_HANGUP", A28)
    real_hangup = captured(C28, "CHANNEL_HANGUP", A28)
    keys = ("Hangup-Cause", "variable_originate_disposition", "variable_DIALSTATUS")
    assert (
        picked(hangup, keys)
        == picked(real_hangup, keys)
        == {
            "Hangup-Cause": "NORMAL_CLEARING",
            "variable_originate_disposition": "failure",
            "variable_DIALSTATUS": "INVALIDARGS",
        }
    )
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A28)
    assert picked(done) == picked(captured(C28, "CHANNEL_HANGUP_COMPLETE", A28))
    assert done["variable_sip_hangup_disposition"] == "recv_bye"
    assert "variable_last_bridge_hangup_cause" not in done
    b_done = next(
        e for e in events if e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] != A28
    )
    assert b_done["Hangup-Cause"] == "ORIGINATOR_CANCEL"
    assert b_done["variable_sip_hangup_disposition"] == "send_cancel"


def test_leg_timeout_ends_the_agent_leg_with_no_answer_and_the_plan_runs_out_as_in_29(cluster, esl):
    _agent(cluster, "no_answer")
    conn = esl()
    started = time.monotonic()
    _target_first(conn, A29, 129, "+14157775001", "{leg_timeout=1}user/1001@127.0.0.1")
    wait_gone(conn, A29)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C29)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A29)
    assert picked(done) == picked(captured(C29, "CHANNEL_HANGUP_COMPLETE", A29))
    assert done["Hangup-Cause"] == "NORMAL_CLEARING"  # not the B cause
    # leg_timeout counts whole epoch seconds, as originate_timeout does (4.85 s for 5 in 29).
    b = next(c for c in cluster.node("fs1").channels() if c["number"] == "1001")
    assert b["hangup_cause"] == "NO_ANSWER"
    assert int(b["hangup_at"]) - int(b["created"]) >= 1
    assert time.monotonic() - started < 30  # not the 60 s default


def test_continue_on_fail_plays_a_tone_and_parks_the_callee_as_in_capture_29b(cluster, esl):
    _agent(cluster, "no_answer")
    conn = esl()
    conn.cmd(SUBSCRIBE)
    conn.cmd(
        f"bgapi originate {{origination_uuid={A292},ignore_early_media=true,attempt_id=1292,"
        "continue_on_fail=true,hangup_after_bridge=true}sofia/gateway/carrier1/+14157775002 "
        "'m:|:sleep:100|send_dtmf:123@200|bridge:{leg_timeout=1}user/1001@127.0.0.1|"
        "playback:tone_stream://%(100,100,480,620);loops=2|park' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK", timeout=10)
    played = event(events_of(conn), "CHANNEL_EXECUTE_COMPLETE", A292, 3)
    assert (played["Application"], played["Application-Response"]) == ("playback", "FILE PLAYED")
    assert conn.api(f"uuid_getvar {A292} originate_disposition") == "NO_ANSWER"
    assert conn.api(f"uuid_getvar {A292} last_bridge_hangup_cause") == "NO_ANSWER"
    assert conn.api(f"uuid_kill {A292}") == "+OK\n"
    wait_gone(conn, A292)
    events = events_of(conn)
    assert sequence(events) == captured_sequence(C29B)
    done = event(events, "CHANNEL_HANGUP_COMPLETE", A292)
    assert picked(done) == picked(captured(C29B, "CHANNEL_HANGUP_COMPLETE", A292))


def test_agent_first_with_a_refusing_phone_never_dials_the_callee_as_in_capture_30(cluster, esl):
    _agent(cluster, "busy")
    conn = esl()
    conn.cmd(SUBSCRIBE)
    conn.send(
        f"bgapi originate {{origination_uuid={A30},ignore_early_media=true,attempt_id=130,"
        "origination_caller_id_number=+14155550100}user/1001@127.0.0.1 "
        f"&bridge({{origination_uuid={B30},ignore_early_media=true,"
        "execute_on_answer=send_dtmf:ww123@200}sofia/gateway/carrier1/+14157771001)\n"
        "Job-UUID: 30303030-0000-4000-8000-000000000030\n\n"
    )
    conn.reply()
    job = conn.wait_event(lambda e: e["Event-Name"] == "BACKGROUND_JOB")
    assert job["Job-UUID"] == "30303030-0000-4000-8000-000000000030"
    conn.drain(0.1)
    assert sequence(events_of(conn)) == captured_sequence(C30)
    body = next(f for f in conn.events if f.event()["Event-Name"] == "BACKGROUND_JOB")
    assert body.event_body() == b"-ERR USER_BUSY\n"
    assert conn.api(f"uuid_exists {B30}") == "false"
    numbers = [c["number"] for c in cluster.node("fs1").channels()]
    assert numbers == ["1001"]  # the trunk was never dialled


def test_a_phone_killed_while_its_registration_lingers_refuses_with_503_until_it_registers(
    make_cluster, esl_on
):
    cluster = make_cluster(tcp_drop_mode="stock-silent")
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)
    assert fs1.drop_agent(user="1001") == {"event": "none"}
    assert [a["user"] for a in fs1.agents()] == ["1001"]  # still listed, nothing behind it
    conn = esl_on(cluster, "fs1")
    assert conn.api("originate user/1001 &park()") == "-ERR NORMAL_TEMPORARY_FAILURE\n"
    fs1.register_agent(user="1001", transport="tcp", contact_port=5073)  # the phone is back
    assert conn.api("originate user/1001 &park()").startswith("+OK ")
