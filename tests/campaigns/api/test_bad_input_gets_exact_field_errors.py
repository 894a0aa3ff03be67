"""Bad input gets a 400 naming each bad field with its exact message; nothing is stored."""

from __future__ import annotations

import pytest

from campaigns.models import Agent, AgentGroup, Campaign, DoNotCall, Node, Trunk

TRUNK = {"name": "Carrier B", "gateway": "carrier_b"}
NODE = {"name": "fs2", "esl_host": "10.0.0.6", "esl_password": "ClueCon"}
AGENT = {"name": "Bob", "sip_user": "1002", "sip_domain": "pbx.example.com"}

TOKEN = "may contain only letters, digits, . _ - and must start with a letter or digit"
GATEWAY = f"gateway name {TOKEN}"
SIP_USER = f"SIP user {TOKEN}"
SIP_DOMAIN = "SIP domain must be a host name or an IPv4 address"
SIP_PROFILE = f"SIP profile {TOKEN}"
CID_NUMBER = "caller ID number may contain only digits and a leading +"
CID_NAME = (
    "caller ID name may contain only letters, digits, . _ - and single spaces between words"
)
NODE_NAME = (
    "node name must start with a letter and contain only letters, digits, _ and - (at most 63)"
)
ESL_HOST = "ESL host must be a host name or an IP address"
ESL_PASSWORD = "ESL password may contain only printable ASCII characters without spaces"
PREFIX = "dial prefix may contain only the digits 0-9"
ZONE = "Unknown time zone; use an IANA name such as Europe/Berlin."
REGION = "Unknown region; use an ISO 3166 code such as US or DE."
ASCII_ONLY = "number may contain only ASCII digits and + ( ) . - spaces"
TIME_FORMAT = "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."
MAX_128 = "Ensure this field has no more than 128 characters."
AT_LEAST_0 = "Ensure this value is greater than or equal to 0."
AT_LEAST_1 = "Ensure this value is greater than or equal to 1."


TRUNK_CASES = [
    ({"gateway": "carrier b"}, {"gateway": [GATEWAY]}),
    ({"gateway": "gw\nbgapi originate"}, {"gateway": [GATEWAY]}),
    ({"gateway": "gw|other"}, {"gateway": [GATEWAY]}),
    ({"gateway": ""}, {"gateway": ["This field may not be blank."]}),
    ({"gateway": None}, {"gateway": ["This field may not be null."]}),
    ({"gateway": ["a"]}, {"gateway": ["Not a valid string."]}),
    ({"gateway": "g" * 65}, {"gateway": ["gateway name is longer than 64 characters"]}),
    ({"dial_prefix": "9,"}, {"dial_prefix": [PREFIX]}),
    ({"dial_prefix": "١٢"}, {"dial_prefix": [PREFIX]}),
    ({"caller_id_number": "+1 415 ext"}, {"caller_id_number": [CID_NUMBER]}),
    ({"caller_id_number": "+1 415\n"}, {"caller_id_number": [CID_NUMBER]}),
    ({"caller_id_name": "Acme}{x"}, {"caller_id_name": [CID_NAME]}),
    ({"caller_id_name": "Acme'"}, {"caller_id_name": [CID_NAME]}),
    ({"cps_limit": 0}, {"cps_limit": [AT_LEAST_1]}),
    ({"cps_limit": "fast"}, {"cps_limit": ["A valid integer is required."]}),
    (
        {"max_concurrent": 10**12},
        {"max_concurrent": ["Ensure this value is less than or equal to 100000."]},
    ),
    ({"name": "Carrier A"}, {"name": ["trunk with this name already exists."]}),
    ({"name": "x\x00y"}, {"name": ["Null characters are not allowed."]}),
    ({"enabled": "maybe"}, {"enabled": ["Must be a valid boolean."]}),
]


@pytest.mark.parametrize(("changes", "errors"), TRUNK_CASES)
def test_a_bad_trunk_is_refused_with_exact_errors(as_supervisor, trunk, changes, errors):
    response = as_supervisor.post("/api/trunks/", {**TRUNK, **changes}, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert list(Trunk.objects.values_list("name", flat=True)) == ["Carrier A"]


NODE_CASES = [
    ({"name": "1fs"}, {"name": [NODE_NAME]}),
    ({"name": "fs 2"}, {"name": [NODE_NAME]}),
    ({"name": "fs2\n"}, {"name": [NODE_NAME]}),
    ({"name": "fs1"}, {"name": ["node with this name already exists."]}),
    ({"esl_host": "10.0.0.6\nauth x"}, {"esl_host": [ESL_HOST]}),
    ({"esl_host": "host/path"}, {"esl_host": [ESL_HOST]}),
    ({"esl_host": "10.0.0.6\n"}, {"esl_host": [ESL_HOST]}),
    ({"esl_port": 0}, {"esl_port": [AT_LEAST_1]}),
    ({"esl_port": 65536}, {"esl_port": ["Ensure this value is less than or equal to 65535."]}),
    ({"esl_password": "a b"}, {"esl_password": [ESL_PASSWORD]}),
    ({"esl_password": "x" * 129}, {"esl_password": [MAX_128]}),
    ({"sip_profile": "internal;x"}, {"sip_profile": [SIP_PROFILE]}),
    ({"max_sessions": -1}, {"max_sessions": [AT_LEAST_1]}),
]


@pytest.mark.parametrize(("changes", "errors"), NODE_CASES)
def test_a_bad_node_is_refused_with_exact_errors(as_supervisor, node, changes, errors):
    response = as_supervisor.post("/api/nodes/", {**NODE, **changes}, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert list(Node.objects.values_list("name", flat=True)) == ["fs1"]


AGENT_CASES = [
    ({"sip_user": "1002@evil"}, {"sip_user": [SIP_USER]}),
    ({"sip_user": "1002,user/9"}, {"sip_user": [SIP_USER]}),
    ({"sip_domain": "pbx..example.com"}, {"sip_domain": [SIP_DOMAIN]}),
    ({"sip_domain": "300.1.1.1"}, {"sip_domain": ["SIP domain is not a valid IPv4 address"]}),
    (
        {"sip_user": "1001"},
        {"non_field_errors": ["The fields sip_user, sip_domain must make a unique set."]},
    ),
    ({"group": 0}, {"group": ['Invalid pk "0" - object does not exist.']}),
    ({"group": "x"}, {"group": ["Incorrect type. Expected pk value, received str."]}),
    ({"wrapup_seconds": -5}, {"wrapup_seconds": [AT_LEAST_0]}),
]


@pytest.mark.parametrize(("changes", "errors"), AGENT_CASES)
def test_a_bad_agent_is_refused_with_exact_errors(as_supervisor, agent, changes, errors):
    payload = {**AGENT, "group": agent.group_id, **changes}

    response = as_supervisor.post("/api/agents/", payload, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert Agent.objects.count() == 1


PROMPT = ("prompt must be tone:<on>/<off>/<hz>[+<hz>][x<loops>] or "
          "file:<path>.<wav|mp3|ogg|flac|gsm>")

CAMPAIGN_CASES = [
    ({"timezone": "Mars/Olympus"}, {"timezone": [ZONE]}),
    ({"timezone": "../../etc/passwd"}, {"timezone": [ZONE]}),
    (
        {"default_region": "XX"},
        {"default_region": [REGION]},
    ),
    ({"mode": "robot"}, {"mode": ['"robot" is not a valid choice.']}),
    ({"weekdays": 128}, {"weekdays": [
        "A bit mask from 0 to 127, or a list of days: names (mon, Tuesday, ...) or ISO numbers "
        "(1 = Monday ... 7 = Sunday)."]}),
    ({"daily_start": "25:00"}, {"daily_start": [TIME_FORMAT]}),
    (
        {"starts_at": "2026-05-02T09:00:00Z", "ends_at": "2026-05-01T09:00:00Z"},
        {"ends_at": ["Must be later than starts_at."]},
    ),
    ({"ends_at": "9999-12-31T23:59:59-12:00"}, {"ends_at": ["Datetime value out of range."]}),
    ({"max_attempts": 21}, {"max_attempts": ["Ensure this value is less than or equal to 20."]}),
    ({"calls_per_second": 0}, {"calls_per_second": [AT_LEAST_1]}),
    (
        {"dtmf_duration_ms": 10},
        {"dtmf_duration_ms": ["Ensure this value is greater than or equal to 50."]},
    ),
    ({"caller_id_number": "123;x"}, {"caller_id_number": [CID_NUMBER]}),
    ({"caller_id_name": "A\r\nB"}, {"caller_id_name": [CID_NAME]}),
    ({"trunk": None}, {"trunk": ["This field may not be null."]}),
    ({"name": ""}, {"name": ["This field may not be blank."]}),
    ({"abandon_message": "tone:500/500/480|hangup"}, {"abandon_message": [PROMPT]}),
    ({"abandon_message": "file:../../etc/passwd.wav"},
     {"abandon_message": ["prompt file path may not contain . or .. segments"]}),
    ({"abandon_message": "file:/x.wav' inline\nexit"}, {"abandon_message": [PROMPT]}),
    ({"abandon_message": "tone:500/500/99999"}, {"abandon_message": [PROMPT]}),
    ({"abandon_message": "tone:500/500/480x50"},
     {"abandon_message": ["tone loops must be 1 to 20"]}),
    ({"agent_ring_timeout": 4},
     {"agent_ring_timeout": ["Ensure this value is greater than or equal to 5."]}),
    ({"max_agent_failovers": 6},
     {"max_agent_failovers": ["Ensure this value is less than or equal to 5."]}),
]


@pytest.mark.parametrize(("changes", "errors"), CAMPAIGN_CASES)
def test_a_bad_campaign_is_refused_with_exact_errors(
    as_supervisor, trunk, agent_group, changes, errors
):
    payload = {"name": "Autumn", "trunk": trunk.pk, "agent_group": agent_group.pk, **changes}

    response = as_supervisor.post("/api/campaigns/", payload, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert Campaign.objects.count() == 0


def test_a_campaign_status_cannot_be_written_directly(as_supervisor, campaign):
    url = f"/api/campaigns/{campaign.pk}/"

    response = as_supervisor.patch(url, {"status": "running"}, format="json")

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == "draft"


DNC_CASES = [
    ({"number": "4155550100"}, {"number": ["not a phone number"]}),
    ({"number": "4155550100", "region": "XX"}, {"region": [REGION]}),
    ({"number": "+1415555"}, {"number": ["not a valid phone number"]}),
    ({"number": "+14155550100;x"}, {"number": ["not a phone number"]}),
    ({"number": "+١٤١٥٥٥٥٠١٠٠"}, {"number": [ASCII_ONLY]}),
    ({"number": ""}, {"number": ["This field may not be blank."]}),
    ({"number": "+1 (415) 555-0199"}, {"number": ["This number is already listed."]}),
]


@pytest.mark.parametrize(("changes", "errors"), DNC_CASES)
def test_a_bad_do_not_call_number_is_refused_with_exact_errors(as_supervisor, db, changes, errors):
    DoNotCall.objects.create(number="+14155550199")

    payload = {"reason": "asked", **changes}

    response = as_supervisor.post("/api/do-not-call/", payload, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert DoNotCall.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "stored"),
    [
        ({"number": "+1 (415) 555-0100"}, "+14155550100"),
        ({"number": "+14155550100\n"}, "+14155550100"),
        ({"number": "(415) 555-0100", "region": "US"}, "+14155550100"),
        ({"number": "030 1234567", "region": "DE"}, "+49301234567"),
    ],
)
def test_a_do_not_call_number_is_stored_normalised(as_supervisor, db, payload, stored):
    response = as_supervisor.post("/api/do-not-call/", payload, format="json")

    assert response.status_code == 201
    assert response.json()["number"] == stored
    assert list(DoNotCall.objects.values_list("number", flat=True)) == [stored]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            "{",
            "JSON parse error - Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        ('{"name": NaN}', "JSON parse error - NaN is not valid JSON"),
        ('{"name": "\\ud800"}', "JSON parse error - text is not valid UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "JSON parse error - nested too deeply"),
    ],
)
def test_malformed_json_is_a_400_parse_error(as_supervisor, db, body, detail):
    response = as_supervisor.generic(
        "POST", "/api/agent-groups/", body, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert AgentGroup.objects.count() == 0
