import pytest

from telephony.registrations import RegistrationListError, parse_xmlstatus
from tests.presence.captures import api_bodies

NOW = 1_795_745_800.0


def test_capture_13_listing_gives_one_tcp_registration_with_its_remaining_time():
    (body,) = api_bodies("13-register-expire-tcp.esl.txt", "<registrations>")

    (row,) = parse_xmlstatus(body, "internal", NOW)

    assert (row.agent, row.call_id, row.profile, row.contact, row.network_ip, row.network_port,
            row.transport, row.user_agent, row.expires_at, row.unreachable) == (
        "1000@127.0.0.1", "1-28767@127.0.0.1", "internal",
        '"" <sip:1000@127.0.0.1:5070;transport=TCP>', "127.0.0.1", "5070", "tcp",
        "sipp-fixture", NOW + 90, False)


def test_capture_02_empty_listing_gives_no_rows():
    (body,) = api_bodies("02-auth-and-api.esl.txt", "<registrations>")
    assert parse_xmlstatus(body, "internal", NOW) == []


def test_row_listed_after_expiry_keeps_its_past_expiry_and_unreachable_status():
    body = """<?xml version="1.0" encoding="ISO-8859-1"?>
<profile><registrations><registration>
<call-id>1-19251@127.0.0.1</call-id><user>1001@127.0.0.1</user>
<contact>&quot;&quot; &lt;sip:1001@127.0.0.1:5074;transport=UDP&gt;</contact>
<agent>sipp-fixture</agent>
<status>Registered(UDP)(unknown) exp(2026-11-27 02:37:43) expsecs(-23)</status>
<ping-status>Unreachable</ping-status><network-ip>127.0.0.1</network-ip>
<network-port>5070</network-port></registration></registrations></profile>"""

    (row,) = parse_xmlstatus(body, "internal", NOW)

    assert (row.expires_at, row.unreachable, row.transport) == (NOW - 23, True, "udp")


@pytest.mark.parametrize("body, message", [
    ("-ERR INVALID_PROFILE\n", "-ERR INVALID_PROFILE"),
    ("", "empty answer"),
    ("<profile><registrations>",
     "malformed registration list: no element found: line 1, column 24"),
    ('<?xml version="1.0"', "malformed registration list: unterminated XML declaration"),
])
def test_an_answer_that_is_not_a_list_is_an_error_not_an_empty_node(body, message):
    with pytest.raises(RegistrationListError) as caught:
        parse_xmlstatus(body, "internal", NOW)
    assert str(caught.value) == message
