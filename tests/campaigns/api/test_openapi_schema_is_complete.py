"""The OpenAPI schema validates without a warning, documents every action, and is served."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    # --fail-on-warn turns any drf-spectacular warning (an unannotated action, a guessed type)
    # into a failure; --validate checks the result against the OpenAPI 3 meta-schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    paths = yaml.safe_load(out.read_text())["paths"]
    assert {
        "/api/campaigns/{id}/start/",
        "/api/campaigns/{id}/pause/",
        "/api/campaigns/{id}/resume/",
        "/api/campaigns/{id}/cancel/",
        "/api/campaigns/{id}/stats/",
        "/api/targets/bulk/",
        "/api/targets/import/",
        "/api/attempts/",
        "/api/agents/{id}/intent/",
        "/api/nodes/{id}/",
        "/api/do-not-call/",
        "/api/agent-groups/",
        "/api/trunks/",
    } <= set(paths)
    assert set(paths["/api/campaigns/{id}/start/"]["post"]["responses"]) == {"200", "409"}
    assert "multipart/form-data" in paths["/api/targets/import/"]["post"]["requestBody"]["content"]


@pytest.mark.django_db
def test_the_schema_and_swagger_ui_are_served_to_a_signed_in_user(as_viewer):
    schema = as_viewer.get("/api/schema/")
    docs = as_viewer.get("/api/docs/")

    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
