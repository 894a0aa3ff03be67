"""Property tests: random and hostile input into every writable field never gets a 500, and
whatever the API accepts passes the telephony grammar it must pass."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import Agent, Campaign, DoNotCall, Node, Target, Trunk
from telephony import dialstring

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = [
    "",
    " ",
    "\n",
    "\r\n",
    "\x00",
    "a\x00b",
    "}",
    "{",
    "'",
    '"',
    ",",
    "|",
    "&",
    "^",
    "$",
    "%",
    ";",
    "\\",
    "١٢٣",
    "+١٤١٥٥٥٥٠١٠٠",
    "+14155550100\n",
    "+14155550100\napi status",
    "1000,user/1001@x",
    "{origination_caller_id_number=1}",
    "gw' &park()",
    "a" * 5000,
    "\u202e",
    "\ud7ff",
    "😀",
    "-1",
    "0",
    "9" * 40,
    "1e309",
    "NaN",
    "null",
    "true",
    "[]",
]

scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _valid_payloads(trunk, group, campaign):
    return {
        "/api/trunks/": (
            Trunk,
            {
                "name": "T",
                "gateway": "gw1",
                "dial_prefix": "9",
                "caller_id_number": "+1415",
                "caller_id_name": "Acme",
                "cps_limit": 5,
                "max_concurrent": 10,
                "enabled": True,
            },
        ),
        "/api/nodes/": (
            Node,
            {
                "name": "fsx",
                "esl_host": "10.0.0.9",
                "esl_port": 8021,
                "esl_password": "pw",
                "sip_profile": "internal",
                "max_sessions": 10,
                "max_cps": 5,
                "enabled": True,
            },
        ),
        "/api/agents/": (
            Agent,
            {
                "name": "A",
                "sip_user": "2001",
                "sip_domain": "pbx.example.com",
                "group": group.pk,
                "enabled": True,
                "wrapup_seconds": 5,
            },
        ),
        "/api/agent-groups/": (None, {"name": "G", "description": "d"}),
        "/api/do-not-call/": (DoNotCall, {"number": "+14155550123", "reason": "asked"}),
        "/api/campaigns/": (
            Campaign,
            {
                "name": "C",
                "trunk": trunk.pk,
                "agent_group": group.pk,
                "caller_id_number": "+14155550100",
                "caller_id_name": "Acme",
                "timezone": "Europe/Berlin",
                "default_region": "DE",
                "weekdays": 31,
                "daily_start": "09:00",
                "daily_end": "17:00",
                "max_concurrent": 5,
                "calls_per_second": 2,
                "dtmf_duration_ms": 200,
                "mode": "agent_first",
                "starts_at": "2026-01-01T00:00:00Z",
            },
        ),
    }


# Fields checked by a telephony grammar: whatever is stored must pass it again.
GRAMMARS = {
    Trunk: {
        "gateway": dialstring.validate_gateway,
        "caller_id_number": dialstring.validate_caller_id_number,
        "caller_id_name": dialstring.validate_caller_id_name,
    },
    Node: {"sip_profile": dialstring.validate_sip_profile},
    Agent: {"sip_user": dialstring.validate_sip_user, "sip_domain": dialstring.validate_sip_domain},
    DoNotCall: {"number": dialstring.validate_e164},
    Campaign: {
        "caller_id_number": dialstring.validate_caller_id_number,
        "caller_id_name": dialstring.validate_caller_id_name,
    },
}


def _assert_stored_values_pass_their_grammar():
    for model, grammars in GRAMMARS.items():
        for field, grammar in grammars.items():
            for value in model.objects.values_list(field, flat=True):
                if value:
                    assert grammar(value) == value


@PROPERTY
@given(data=st.data())
def test_one_hostile_field_in_an_otherwise_valid_payload_is_never_a_500(
    as_supervisor, trunk, agent_group, campaign, data
):
    payloads = _valid_payloads(trunk, agent_group, campaign)
    url = data.draw(st.sampled_from(sorted(payloads)), label="url")
    base = payloads[url][1]
    field = data.draw(st.sampled_from(sorted(base)), label="field")
    value = data.draw(json_values, label="value")

    response = as_supervisor.post(url, {**base, field: value}, format="json")

    assert response.status_code in (201, 400), response.content
    _assert_stored_values_pass_their_grammar()


@PROPERTY
@given(data=st.data())
def test_random_json_documents_are_never_a_500(as_supervisor, trunk, agent_group, campaign, data):
    url = data.draw(
        st.sampled_from(
            sorted(_valid_payloads(trunk, agent_group, campaign)) + ["/api/targets/bulk/"]
        )
    )
    body = data.draw(json_values)

    response = as_supervisor.post(url, body, format="json")

    assert response.status_code in (201, 400), response.content
    _assert_stored_values_pass_their_grammar()


@PROPERTY
@given(data=st.data())
def test_hostile_updates_are_never_a_500(as_supervisor, trunk, node, agent, campaign, data):
    url = data.draw(
        st.sampled_from(
            [
                f"/api/trunks/{trunk.pk}/",
                f"/api/nodes/{node.pk}/",
                f"/api/agents/{agent.pk}/",
                f"/api/campaigns/{campaign.pk}/",
            ]
        )
    )
    field = data.draw(
        st.sampled_from(
            [
                "name",
                "gateway",
                "esl_host",
                "esl_password",
                "sip_user",
                "sip_domain",
                "caller_id_name",
                "timezone",
                "max_cps",
                "group",
            ]
        )
    )
    value = data.draw(json_values)

    response = as_supervisor.patch(url, {field: value}, format="json")

    assert response.status_code in (200, 400), response.content
    _assert_stored_values_pass_their_grammar()


@PROPERTY
@given(data=st.data())
def test_hostile_query_strings_are_never_a_500(as_viewer, campaign, data):
    url = data.draw(
        st.sampled_from(
            [
                "/api/campaigns/",
                "/api/targets/",
                "/api/attempts/",
                "/api/agents/",
                "/api/nodes/",
                "/api/do-not-call/",
                "/api/trunks/",
            ]
        )
    )
    param = data.draw(
        st.sampled_from(
            [
                "campaign",
                "state",
                "status",
                "number",
                "external_ref",
                "outcome",
                "node",
                "agent",
                "created_after",
                "ended_before",
                "next_attempt_after",
                "search",
                "ordering",
                "page",
                "page_size",
                "enabled",
                "group",
                "trunk",
            ]
        )
    )
    value = data.draw(
        st.one_of(
            st.sampled_from(HOSTILE),
            st.text(max_size=30),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
        )
    )

    response = as_viewer.get(url, {param: value})

    assert response.status_code in (200, 400, 404), response.content


@PROPERTY
@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(["number", "extension", "external_ref", "timezone", "note"]),
            st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20)),
            max_size=5,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_bulk_targets_with_hostile_rows_store_only_grammatical_targets(
    as_supervisor, campaign, rows
):
    response = as_supervisor.post(
        "/api/targets/bulk/", {"campaign": campaign.pk, "targets": rows}, format="json"
    )

    assert response.status_code in (200, 201, 400), response.content
    body = response.json()
    if response.status_code == 201:
        assert body["created"] >= 1
    for number, extension in Target.objects.values_list("number", "extension"):
        assert dialstring.validate_e164(number) == number
        assert dialstring.validate_extension(extension) == extension


cells = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)).map(
    lambda text: text.replace('"', '""')
)


@PROPERTY
@given(
    header=st.lists(
        st.sampled_from(["number", "extension", "external_ref", "timezone", "x", ""]),
        min_size=1,
        max_size=4,
    ),
    body=st.lists(st.lists(cells, max_size=5), max_size=4),
    raw=st.binary(max_size=64),
    name=st.sampled_from(["t.csv", "t.xlsx", "t.txt", "t"]),
)
def test_hostile_uploads_are_never_a_500(as_supervisor, campaign, header, body, raw, name):
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in [header, *body]).encode(
        "utf-8", "surrogatepass"
    )
    for content in (text, raw, text + raw):
        upload = SimpleUploadedFile(name, content)

        response = as_supervisor.post(
            "/api/targets/import/", {"campaign": campaign.pk, "file": upload}
        )

        assert response.status_code in (200, 201, 400), response.content
    for number, extension in Target.objects.values_list("number", "extension"):
        assert dialstring.validate_e164(number) == number
        assert dialstring.validate_extension(extension) == extension


def test_the_hostile_list_really_holds_json_the_api_receives():
    # A guard on the fixture itself: every hostile string survives a JSON round trip.
    assert json.loads(json.dumps(HOSTILE)) == HOSTILE
