"""docs/api.md matches the running system: every schema path is documented, the Swagger UI is
described as served locally (it is: the sidecar), and the examples use the demo's port and user."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "api.md").read_text()


def _documented(path: str) -> bool:
    """A schema path is documented when the page names it (`{id}` as the doc writes it)."""
    path = re.sub(r"\{[a-z_]+\}", "{id}", path)
    if path in DOC:
        return True
    # "/api/campaigns/{id}/start/ `pause/`" and "export/csv/, export/xlsx/" rows name the rest.
    head, _, tail = path.rstrip("/").rpartition("/")
    return f"`{tail}/`" in DOC or f"{head}/" in DOC and f"{tail}/" in DOC


def test_every_endpoint_in_the_schema_is_in_the_docs(db):
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    missing = [path for path in paths if not _documented(path)]
    assert not missing, missing


def test_the_docs_say_where_swagger_ui_comes_from():
    assert settings.SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"] == "SIDECAR"
    assert "CDN." not in DOC.split("## Authentication")[0] or "nothing is loaded from a CDN" in DOC
    assert "served from Switchboard's own static files" in DOC


def test_the_examples_use_the_demos_port_and_user():
    sys.path.insert(0, str(ROOT / "scripts"))
    import demo

    args = demo.parse_args([])
    assert f"API=http://127.0.0.1:{args.web_port}/api" in DOC
    assert "-d username=admin" in DOC
    assert "var/demo/secrets/admin-password" in DOC
