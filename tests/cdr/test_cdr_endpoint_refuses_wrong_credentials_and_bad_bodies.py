"""The CDR endpoint: 401 for wrong or missing credentials (capture 42d's rotated password), 400
for any body that is not a CDR (hostile ones included), never a 500, and the password never in
a log line or a response.
"""

from __future__ import annotations

import base64
import logging

import pytest

from campaigns.models import CallDetailRecord
from tests.cdr.posts import GOOD_AUTHORIZATION, PASSWORD, posts, send

pytestmark = pytest.mark.integration


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_captured_wrong_credentials_get_a_401_and_store_nothing(client, db, cdr_config):
    captured = posts("42d")
    assert len(captured) == 6  # three tries per module, as FreeSWITCH sent them
    answers = [send(client, post) for post in captured]
    assert {(r.status_code, r.content) for r in answers} == {(401, b"unauthorised\n")}
    assert answers[0]["WWW-Authenticate"] == 'Basic realm="switchboard-cdr"'
    assert CallDetailRecord.objects.count() == 0


@pytest.mark.parametrize("authorization", [
    "",
    "Basic",
    "Basic !!!not-base64!!!",
    "Bearer " + PASSWORD,
    _basic("switchboard", ""),
    _basic("switchboard", PASSWORD + "x"),
    _basic("admin", PASSWORD),
    "Basic " + base64.b64encode(b"switchboard" + PASSWORD.encode()).decode(),  # no colon
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
])
def test_any_other_authorization_gets_a_401(client, db, cdr_config, authorization):
    post = posts("38")[0]
    assert send(client, post, authorization=authorization or " ").status_code == 401


JSON_OK = posts("38")[0].body

HOSTILE = [
    ("json", "application/json", b"", b"not a CDR: not JSON: JSONDecodeError\n"),
    ("json", "application/json", b"{", b"not a CDR: not JSON: JSONDecodeError\n"),
    ("json", "application/json", b"[]", b"not a CDR: no variables object\n"),
    ("json", "application/json", b'{"variables": []}', b"not a CDR: no variables object\n"),
    ("json", "application/json", b'{"variables": {"uuid": "x\'; DROP"}}',
     b"not a CDR: variables.uuid is missing or not a uuid\n"),
    ("json", "application/json", b"[" * 100_000, b"not a CDR: not JSON: RecursionError\n"),
    ("json", "application/json", b"\xff\xfe", b"not a CDR: body is not UTF-8\n"),
    ("json", "text/html", JSON_OK, b"not a CDR: unexpected content type 'text/html' for a "
                                   b"JSON CDR\n"),
    ("json", "application/x-www-form-urlencoded", b"cdr=%7B%22x", b"not a CDR: not JSON: "
                                                                  b"JSONDecodeError\n"),
    ("xml", "text/xml", b"<cdr><variables>", b"not a CDR: not XML: ParseError\n"),
    ("xml", "text/xml", b"<nope/>", b"not a CDR: the root element is not <cdr>\n"),
    ("xml", "text/xml", b"<cdr/>", b"not a CDR: no <variables> element\n"),
    ("xml", "text/xml",
     b'<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     b"<cdr><variables><uuid>&b;</uuid></variables></cdr>",
     b"not a CDR: DTD or entity declarations are refused\n"),
    ("xml", "text/xml",
     b'<!DOCTYPE cdr SYSTEM "file:///etc/passwd"><cdr><variables/></cdr>',
     b"not a CDR: DTD or entity declarations are refused\n"),
    ("xml", "application/x-www-form-urlencoded", b"cdr=%3Ccdr%3E",
     b"not a CDR: not XML: ParseError\n"),
    ("xml", "application/json", b"{}", b"not a CDR: unexpected content type "
                                       b"'application/json' for an XML CDR\n"),
]


@pytest.mark.parametrize(("module", "content_type", "body", "message"), HOSTILE)
def test_a_body_that_is_not_a_cdr_gets_a_400_with_the_reason(client, db, cdr_config, module,
                                                             content_type, body, message):
    answer = client.post(f"/cdr/{module}", body, content_type=content_type,
                         HTTP_AUTHORIZATION=GOOD_AUTHORIZATION)
    assert (answer.status_code, answer.content) == (400, message)
    assert CallDetailRecord.objects.count() == 0


def test_a_uuid_parameter_naming_another_leg_gets_a_400(client, db, cdr_config):
    post = posts("38")[0]
    answer = client.post("/cdr/json?uuid=00000000-0000-4000-8000-000000000999", post.body,
                         content_type="application/json", HTTP_AUTHORIZATION=GOOD_AUTHORIZATION)
    assert (answer.status_code, answer.content) == (
        400, b"the uuid parameter does not match variables.uuid\n")


def test_get_is_not_allowed_and_an_unconfigured_endpoint_answers_503(client, db, cdr_config):
    assert client.get("/cdr/json", HTTP_AUTHORIZATION=GOOD_AUTHORIZATION).status_code == 405
    cdr_config.CDR_PASSWORD = ""
    post = posts("38")[0]
    answer = send(client, post)
    assert (answer.status_code, answer.content) == (503, b"CDR endpoint not configured\n")


def test_a_database_failure_gets_a_503_so_freeswitch_keeps_the_cdr(client, db, cdr_config,
                                                                   monkeypatch):
    def broken(*_args, **_kwargs):
        raise ConnectionError("redis://:hunter2@db/0 refused")

    monkeypatch.setattr("campaigns.cdr.views.record_leg", broken)
    answer = send(client, posts("38")[0])
    assert (answer.status_code, answer.content) == (503, b"cannot store the CDR now\n")


def test_the_password_never_reaches_a_log_line(client, db, cdr_config, caplog):
    caplog.set_level(logging.DEBUG)
    for post in posts("42d") + posts("38"):
        send(client, post)
        send(client, post, authorization=GOOD_AUTHORIZATION)
    text = caplog.text
    assert "CDR post with wrong or missing credentials" in text  # the scan sees the log
    for secret in (PASSWORD, "rotated-old-password", GOOD_AUTHORIZATION.split()[1]):
        assert secret not in text
