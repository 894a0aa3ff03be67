"""DTMF is queued, not sent: the log times each digit from answer, pauses and tone lengths.

Capture 34: a digit leaves every tone + 280 ms (480 ms at @200); `w` adds 500 ms, `W` 1000 ms.
"""

from __future__ import annotations

A = "00000000-0000-4000-8000-000000000003"
# Offsets laid out from one start (one uuid_send_dtmf) are arithmetic and exact; an offset that
# depends on when a second command or an app ran may be late by the machine's scheduling, never
# early. Loaded test machines have been seen 1 ms late; allow half a second, still far below any
# pause or tone length the assertions check.
SCHEDULING_SLACK_MS = 500


def _answered_call(conn, extra: str = "") -> None:
    conn.cmd("event plain CHANNEL_ANSWER CHANNEL_PARK")
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true{extra}}}"
        "sofia/internal/4008001234@127.0.0.1:5090 &park()"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")


def test_uuid_send_dtmf_lays_digits_out_with_w_and_W_pauses_and_group_lengths(cluster, esl):
    conn = esl()
    _answered_call(conn)
    before = len(conn.events)
    assert conn.api(f"uuid_send_dtmf {A} 1w2W3@200") == f"+OK {A} sent DTMF 1w2W3@200.\n"
    conn.drain(0.1)
    assert len(conn.events) == before  # no event for outbound DTMF
    log = cluster.node("fs1").dtmf(uuid=A)
    assert [(d["digit"], d["duration_ms"], d["source"]) for d in log] == [
        ("1", 200, "uuid_send_dtmf"), ("2", 200, "uuid_send_dtmf"), ("3", 200, "uuid_send_dtmf"),
    ]  # fmt: skip
    t0 = log[0]["played_at"]
    assert round((log[1]["played_at"] - t0) * 1000) == 480 + 500
    assert round((log[2]["played_at"] - t0) * 1000) == 480 + 500 + 480 + 1000


def test_digits_sent_back_to_back_queue_behind_each_other(cluster, esl):
    conn = esl()
    _answered_call(conn)
    conn.api(f"uuid_send_dtmf {A} 12@100+3@300")
    conn.api(f"uuid_send_dtmf {A} 4")
    log = cluster.node("fs1").dtmf(uuid=A)
    offsets = [round((d["played_at"] - log[0]["played_at"]) * 1000) for d in log]
    assert [d["digit"] for d in log] == ["1", "2", "3", "4"]
    assert [d["duration_ms"] for d in log] == [100, 100, 300, 250]
    assert offsets[:3] == [0, 380, 760]  # one command: laid out exactly (480 ms per @200 digit)
    # The second command's digit queues behind the first group: never before it ends (1340 ms).
    assert 1340 <= offsets[3] < 1340 + SCHEDULING_SLACK_MS, offsets


def test_execute_on_answer_digits_start_at_answer_time(cluster, esl):
    conn = esl()
    _answered_call(conn, ",execute_on_answer='send_dtmf W5'")
    ch = cluster.node("fs1").channel(uuid=A)
    (digit,) = ch["dtmf"]
    assert (digit["digit"], digit["source"], digit["duration_ms"]) == (
        "5",
        "execute_on_answer",
        250,
    )
    # The W pause runs from when execute_on_answer starts, a moment after the answer: never
    # less than 1000 ms after it, and the moment is short (a loaded machine may add a little).
    delay_ms = (digit["played_at"] - ch["answered_at"]) * 1000
    assert 1000 <= round(delay_ms) < 1000 + SCHEDULING_SLACK_MS, delay_ms


def test_inline_send_dtmf_and_sendmsg_digits_are_logged_with_their_source(cluster, esl):
    conn = esl()
    conn.cmd("event plain CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE")
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        "sofia/internal/4008001234@127.0.0.1:5090 'm:^:send_dtmf:12^park' inline"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    conn.send(
        f"sendmsg {A}\ncall-command: execute\nexecute-app-name: send_dtmf\n"
        "execute-app-arg: 9\nevent-uuid: my-app-1\n\n"
    )
    assert conn.reply().headers["Reply-Text"] == "+OK"
    ev = conn.wait_event(lambda e: e.get("Application-UUID") == "my-app-1")
    assert ev["Application"] == "send_dtmf"
    log = cluster.node("fs1").dtmf(uuid=A)
    assert [(d["digit"], d["source"]) for d in log] == [
        ("1", "send_dtmf"), ("2", "send_dtmf"), ("9", "sendmsg"),
    ]  # fmt: skip


def test_uuid_send_dtmf_to_an_unknown_channel_cannot_locate_the_session(esl):
    assert esl().api("uuid_send_dtmf 11111111-2222-3333-4444-555555555555 1") == (
        "-ERR Cannot locate session!\n"
    )
