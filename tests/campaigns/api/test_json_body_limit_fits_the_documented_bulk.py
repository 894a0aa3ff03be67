"""A 10,000-row bulk request of realistic rows fits the body limit; a bigger body gets JSON 413."""

from __future__ import annotations

import bz2
import json

import pytest

from campaigns.models import Target

pytestmark = pytest.mark.django_db


def realistic_rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "number": f"+1415555{i:04d}",
            "external_ref": f"crm-{i:08d}",
            "timezone": "America/Los_Angeles",
            "first_name": "Alexandrina",
            "last_name": "Featherstonehaugh",
            "address": "1234 Long Street Name, Apartment 56, Springfield",
            "note": "Called last spring about the renewal; prefers mornings. " * 3,
        }
        for i in range(count)
    ]


def test_ten_thousand_realistic_rows_are_accepted(as_supervisor, campaign):
    body = json.dumps({"campaign": campaign.pk, "targets": realistic_rows(10_000)})
    assert len(body) > 2_621_440  # past Django's default limit of 2.5 MB

    response = as_supervisor.generic(
        "POST", "/api/targets/bulk/", body, content_type="application/json"
    )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["created"] == 10_000
    assert Target.objects.filter(campaign=campaign).count() == 10_000


def test_a_body_past_the_limit_gets_a_json_413_naming_it(as_supervisor, campaign, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = json.dumps({"campaign": campaign.pk, "targets": realistic_rows(1_000)})

    response = as_supervisor.generic(
        "POST", "/api/targets/bulk/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request body is larger than 0 MB (100000 bytes, API_MAX_BODY_BYTES); "
        "send at most 10,000 rows per bulk request, or upload a file.",
        "code": "too_large",
    }
    assert not Target.objects.exists()


def test_a_compressing_charset_cannot_smuggle_a_bigger_body(as_supervisor, campaign):
    body = bz2.compress(
        json.dumps({"campaign": campaign.pk, "targets": [{"number": "1"}]}).encode()
    )

    response = as_supervisor.generic(
        "POST", "/api/targets/bulk/", body, content_type="application/json; charset=bz2_codec"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Unsupported charset "bz2_codec" in request Content-Type header.'
    }
