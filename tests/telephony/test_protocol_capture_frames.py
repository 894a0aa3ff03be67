"""Exact frames from the real captures: the shapes the client and listener rely on."""

from __future__ import annotations

from telephony.protocol import (
    EVENT_TYPES,
    Event,
    Frame,
    FrameParser,
    parse_event,
    parse_reply,
)
from tests.telephony.fixtures import capture_path, server_reads, server_stream


def frames(prefix: str) -> list[Frame]:
    return FrameParser().feed(server_stream(capture_path(prefix)))


def events(prefix: str) -> list[Event]:
    return [parse_event(f) for f in frames(prefix) if f.content_type in EVENT_TYPES]


def test_rejected_auth_gives_err_invalid_then_the_goodbye_notice_in_one_read():
    reads = server_reads(capture_path("01-"))
    parser = FrameParser()
    assert parser.feed(reads[0]) == [Frame("auth/request", {"Content-Type": "auth/request"})]
    reply, notice = parser.feed(reads[1])
    assert parse_reply(reply).text == "-ERR invalid"
    assert not parse_reply(reply).ok
    assert notice.content_type == "text/disconnect-notice"
    assert notice.headers["Content-Length"] == "67"
    assert notice.body == (b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")


def test_background_job_split_after_its_header_block_completes_on_the_next_read():
    reads = server_reads(capture_path("02-"))
    index = next(
        i for i, r in enumerate(reads) if r.endswith(b"Content-Type: text/event-plain\n\n")
    )
    parser = FrameParser()
    for earlier in reads[:index]:
        parser.feed(earlier)
    first = parser.feed(reads[index])
    assert [parse_reply(f).text for f in first] == [
        "+OK Job-UUID: b130db63-87fd-4e8a-a55a-8136b8609977"
    ]
    assert parser.buffered == 0  # the header block is held parsed, waiting for 873 body bytes
    (frame,) = parser.feed(reads[index + 1])
    event = parse_event(frame)
    assert event.name == "BACKGROUND_JOB"
    assert event.get("Job-UUID") == "b130db63-87fd-4e8a-a55a-8136b8609977"
    assert event.sequence == 454
    assert event.body.startswith("UP 0 years, 0 days, 0 hours, 0 minutes, 17 seconds")
    assert len(event.body.encode()) == 337
    assert event.get("Event-Date-Local") == "2026-11-27 02:14:16"  # URL-decoded per value


def test_bgapi_reply_carries_the_client_job_uuid_in_reply_text_and_header():
    replies = [parse_reply(f) for f in frames("02-") if f.content_type == "command/reply"]
    ours = [r for r in replies if r.job_uuid == "99999999-0000-4000-8000-000000000001"]
    assert len(ours) == 1
    assert ours[0].text == "+OK Job-UUID: 99999999-0000-4000-8000-000000000001"
    assert ours[0].ok


def test_api_bodies_without_trailing_newline_are_followed_directly_by_the_next_frame():
    bodies = [parse_reply(f).text for f in frames("17-") if f.content_type == "api/response"]
    assert bodies[:3] == ["true", "42", "\n2 total.\n"]
    assert bodies[-1] == "false"


def test_api_errors_live_in_the_body():
    bodies = [parse_reply(f).text for f in frames("02-") if f.content_type == "api/response"]
    assert "-ERR no_such_command Command not found!\n" in bodies
    assert "-ERR CHAN_NOT_IMPLEMENTED\n" in bodies
    assert "-ERR INVALID_PROFILE\n" in bodies
    assert "-ERR No such channel!\n" in bodies
    assert any(b.startswith("-USAGE: <call url> <exten>|&<application_name>") for b in bodies)


def test_hangup_complete_keeps_both_hangup_cause_headers_and_the_first_wins():
    (complete,) = [e for e in events("10-") if e.name == "CHANNEL_HANGUP_COMPLETE"]
    assert complete.get_all("Hangup-Cause") == ["USER_BUSY", "USER_BUSY"]
    assert complete.get("Hangup-Cause") == "USER_BUSY"
    assert complete.get("Unique-ID") == "00000000-0000-4000-8000-000000000010"
    assert complete.get("variable_sip_term_status") == "486"
    assert complete.sequence == 707
    assert complete.core_uuid == "41f492c6-62f3-4237-ba1b-4fef43ac1b52"


def test_failed_originate_background_job_body_is_the_cause_and_its_arg_is_decoded():
    (job,) = [e for e in events("10-") if e.name == "BACKGROUND_JOB"]
    assert job.body == "-ERR USER_BUSY\n"
    assert job.get("Job-Command") == "originate"
    assert job.get("Job-Command-Arg") == (
        "{origination_uuid=00000000-0000-4000-8000-000000000010}"
        "sofia/internal/4008001234@127.0.0.1:5092 &park()"
    )


def test_json_events_put_the_body_under_underscore_body_and_keep_repeated_keys():
    decoded = events("04-")
    (job,) = [e for e in decoded if e.name == "BACKGROUND_JOB"]
    assert job.body == "+OK 00000000-0000-4000-8000-000000000004\n"
    assert job.sequence == 527
    assert "_body" not in job.headers
    (complete,) = [e for e in decoded if e.name == "CHANNEL_HANGUP_COMPLETE"]
    assert complete.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    assert complete.sequence == 540


def test_json_registration_events_carry_their_subclass_and_raw_values():
    decoded = events("21-")
    assert [(e.name, e.subclass, e.sequence) for e in decoded] == [
        ("CUSTOM", "sofia::register", 1357),
        ("HEARTBEAT", None, 1360),
        ("CUSTOM", "sofia::unregister", 1366),
    ]
    assert decoded[0].get("contact") == '"" <sip:1000@127.0.0.1:5070;transport=TCP>'
    assert decoded[0].get("expires") == "60"
    assert decoded[2].get("expires") == "0"


def test_plain_registration_event_values_are_url_decoded():
    (register,) = [e for e in events("12-") if e.subclass == "sofia::register"]
    assert register.name == "CUSTOM"
    assert register.get("contact") == '"" <sip:1000@127.0.0.1:5070;transport=TCP>'
    assert register.get("status") == "Registered(TCP)"


def test_socket_disconnection_unregister_has_a_call_id_and_no_contact():
    (unregister,) = [e for e in events("22-") if e.subclass == "sofia::unregister"]
    assert unregister.get("reason") == "socket-disconnection"
    assert unregister.get("call-id")
    assert unregister.get("contact") is None


def test_shutdown_ends_with_the_31_byte_disconnect_notice_and_no_bye():
    parsed = frames("25-")
    assert parsed[-1] == Frame(
        "text/disconnect-notice",
        {"Content-Type": "text/disconnect-notice", "Content-Length": "31"},
        b"The system is being shut down.\n",
    )
    hangup = [parse_event(f) for f in parsed if f.content_type in EVENT_TYPES][-1]
    assert hangup.name == "CHANNEL_HANGUP_COMPLETE"
    assert hangup.get("Hangup-Cause") == "SYSTEM_SHUTDOWN"
    replies = [parse_reply(f).text for f in parsed if f.content_type == "command/reply"]
    assert "+OK bye" not in replies


def test_core_uuid_changes_across_the_restart():
    before = {e.core_uuid for e in events("25-")}
    after = {e.core_uuid for e in events("25c-")}
    assert before == {"7e7311ca-ac7b-41e8-85c6-cb159a57b4df"}
    assert after == {"952e7fe7-a4eb-470d-9d9a-2877b3ddb0dc"}
    (heartbeat,) = events("25c-")
    assert heartbeat.name == "HEARTBEAT" and heartbeat.sequence == 421


def test_events_before_the_repeated_sdp_keep_encoded_line_breaks_inside_one_value():
    answer = next(e for e in events("03-") if e.get("variable_switch_r_sdp"))
    sdp = answer.get("variable_switch_r_sdp")
    assert sdp.startswith("v=0\r\n")
    assert "\r\nm=audio " in sdp
