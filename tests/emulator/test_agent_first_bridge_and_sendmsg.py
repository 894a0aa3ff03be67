"""Agent-first flow (capture 18), sendmsg (capture 15) and the early-media quirk."""

from __future__ import annotations

from tests.emulator.scenario import captured_sequence, sequence

A = "00000000-0000-4000-8000-000000000018"
B = "00000000-0000-4000-8000-000000000181"


def test_agent_first_call_bridges_to_the_number_in_the_order_of_capture_18(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.register_agent(user="1000", contact_port=5072, answer_ms=30)
    conn = esl()
    conn.cmd(
        "event plain HEARTBEAT CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA "
        "CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE "
        "DTMF CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY BACKGROUND_JOB "
        "CUSTOM sofia::register sofia::unregister sofia::expire"
    )
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},attempt_id=44,ignore_early_media=true}}"
        f"user/1000 &bridge({{origination_uuid={B},ignore_early_media=true}}"
        "sofia/internal/4008001234@127.0.0.1:5090)"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_BRIDGE")
    assert conn.api(f"uuid_send_dtmf {B} 1w23@250") == f"+OK {B} sent DTMF 1w23@250.\n"
    calls = conn.api("show calls as json")
    assert f'"uuid":"{A}"' in calls and f'"b_uuid":"{B}"' in calls
    conn.api(f"uuid_kill {A}")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_DESTROY" and e["Unique-ID"] == A)
    events = [f.event() for f in conn.events]
    assert sequence(events, {A: "A", B: "B"}) == captured_sequence(
        "18-agent-first-user-bridge-dtmf.esl.txt"
    )
    create_a = next(e for e in events if e["Event-Name"] == "CHANNEL_CREATE")
    assert create_a["Channel-Name"] == "sofia/internal/1000@127.0.0.1:5072"
    assert create_a["Channel-Presence-ID"] == "1000@127.0.0.1"
    assert create_a["variable_attempt_id"] == "44"
    assert [d["digit"] for d in fs1.dtmf(uuid=B)] == ["1", "2", "3"]
    assert fs1.channel(uuid=A)["partner"] == B


def test_sendmsg_executes_beside_park_and_hangup_ends_the_call_as_in_capture_15(cluster, esl):
    conn = esl()
    conn.cmd("event plain ALL")
    conn.api(f"originate {{origination_uuid={A}}}sofia/internal/4008001234@127.0.0.1:5090 &park()")
    conn.send(
        f"sendmsg {A}\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: tone_stream://%(100,0,350)\nevent-uuid: ev-1\n\n"
    )
    assert conn.reply().headers["Reply-Text"] == "+OK"
    conn.send(
        f"sendmsg {A}\ncall-command: execute\nexecute-app-name: send_dtmf\n"
        "content-type: text/plain\ncontent-length: 3\n\n123"
    )
    assert conn.reply().headers["Reply-Text"] == "+OK"
    bogus = "11111111-2222-3333-4444-555555555555"
    assert conn.cmd(f"sendmsg {bogus}\ncall-command: hangup").headers["Reply-Text"] == (
        f"-ERR invalid session id [{bogus}]"
    )
    played = conn.wait_event(lambda e: e.get("Application-UUID") == "ev-1" and
                             e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE")  # fmt: skip
    assert played["Application-Response"] == "FILE PLAYED"
    conn.send(f"sendmsg {A}\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n")
    assert conn.reply().headers["Reply-Text"] == "+OK"
    ev = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
    assert ev["Hangup-Cause"] == "NORMAL_CLEARING"
    assert [d["digit"] for d in cluster.node("fs1").dtmf(uuid=A)] == ["1", "2", "3"]
    conn.send("exit\n\n")
    assert conn.wait_eof()
    assert conn.raw.endswith(
        b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
        b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
        b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    )


def test_early_media_returns_the_originate_before_answer_unless_ignored(cluster, esl):
    cluster.node("fs1").set_outcome(pattern="555*", early_media_ms=20, answer_ms=400)
    conn = esl()
    conn.cmd("event plain CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER BACKGROUND_JOB")
    conn.cmd(f"bgapi originate {{origination_uuid={A}}}sofia/gateway/gw1/5551234 &park()")
    conn.cmd(
        f"bgapi originate {{origination_uuid={B},ignore_early_media=true}}"
        "sofia/gateway/gw1/5551234 &park()"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_ANSWER" and e["Unique-ID"] == B)
    conn.drain(0.05)
    order = [
        (e["Event-Name"], e.get("Unique-ID") or e["Job-Command-Arg"][18:54])
        for e in (f.event() for f in conn.events)
    ]
    # Without ignore_early_media the job result (+OK) precedes the answer.
    assert order.index(("BACKGROUND_JOB", A)) < order.index(("CHANNEL_ANSWER", A))
    assert order.index(("BACKGROUND_JOB", B)) > order.index(("CHANNEL_ANSWER", B))


def test_scripted_causes_by_exact_number_prefix_and_default(cluster, esl):
    fs1 = cluster.node("fs1")
    fs1.set_outcome(pattern="*", kind="failure")
    fs1.set_outcome(pattern="4004*", kind="unallocated")
    fs1.set_outcome(pattern="40040", kind="reject")
    fs1.set_outcome(pattern="4005", kind="cause", cause="NO_USER_RESPONSE")
    conn = esl()
    results = {
        n: conn.api(f"originate sofia/gateway/gw/{n} &park()")
        for n in ("40040", "40041", "4005", "7777")
    }
    assert results == {
        "40040": "-ERR CALL_REJECTED\n",
        "40041": "-ERR UNALLOCATED_NUMBER\n",
        "4005": "-ERR NO_USER_RESPONSE\n",
        "7777": "-ERR NORMAL_TEMPORARY_FAILURE\n",
    }
    assert conn.api("originate error/user_busy &park()") == "-ERR USER_BUSY\n"


def test_far_end_hangup_after_answer_ends_the_call_with_normal_clearing(cluster, esl):
    cluster.node("fs1").set_outcome(pattern="4008*", answer_ms=10, hangup_ms=100)
    conn = esl()
    conn.cmd("event plain CHANNEL_HANGUP_COMPLETE")
    conn.api(f"originate {{origination_uuid={A}}}sofia/internal/4008001234@h &park()")
    ev = conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
    assert ev["Hangup-Cause"] == "NORMAL_CLEARING"
    assert ev["variable_sip_hangup_disposition"] == "recv_bye"
    assert ev["variable_billsec"] == "0"
    assert int(ev["variable_billmsec"]) >= 100


def test_a_hangup_run_by_execute_on_answer_still_returns_the_originate(cluster, esl):
    conn = esl()
    out = conn.api(
        f"originate {{origination_uuid={A},execute_on_answer='hangup CALL_REJECTED'}}"
        "sofia/gateway/gw/4008 &park()"
    )
    assert out == f"+OK {A}\n"
    assert conn.api(f"uuid_exists {A}") == "false"
    assert cluster.node("fs1").channel(uuid=A)["hangup_cause"] == "CALL_REJECTED"
