"""A bounded schema-driven fuzz run over the whole API (schemathesis against /api/schema/).

Fixed seed, a small example budget per operation: every operation of the schema is called with
generated input (valid and invalid) by an authenticated superuser, through the real WSGI
application and its middleware. No answer may be a 5xx, and every documented answer must match
the schema. (One test drives every operation: schemathesis' pytest plugin does not run under
pytest 9 yet; the failures of all operations are collected and reported together.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from switchboard.wsgi import application
from tests.factories import make_campaign, make_node, make_superuser

EXAMPLES_PER_OPERATION = 3  # per generation mode: valid input, then invalid input
SEED = 20261201


@pytest.fixture
def api_schema(db, settings):
    # As Django's test client does: the test's transaction must survive each request's start.
    request_started.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["localhost"]
    make_campaign()
    make_node()
    token = Token.objects.create(user=make_superuser("fuzzer")).key
    headers = {"Authorization": f"Token {token}"}
    yield (
        schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers),
        headers,
    )
    request_started.connect(close_old_connections)


def test_no_operation_answers_a_5xx_or_off_schema(api_schema):
    schema, headers = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 49  # the whole API is in the schema
    failures: list[str] = []
    cases = [
        (op, mode)
        for op in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    for operation, mode in cases:

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            failures.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {exc}"[:2000])
    assert failures == [], "\n\n".join(failures)
