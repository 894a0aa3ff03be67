"""A file of one number repeated thousands of times answers counts and the first entries; the
full report is a CSV download."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def test_the_reply_is_bounded_and_the_csv_holds_every_entry(as_supervisor, as_viewer, campaign):
    content = b"number,note\n" + b"+14155550100,=cmd()\n" * 5000 + b"bogus,\n"

    response = as_supervisor.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("t.csv", content)},
    )

    assert response.status_code == 201
    body = response.json()
    assert len(response.content) < 30_000
    assert body["counts"] == {
        "errors": 1,
        "rejected_lines": 1,
        "duplicates": 4999,
        "do_not_call": 0,
        "blank_rows": 0,
    }
    assert body["truncated"] is True
    assert [d["line"] for d in body["duplicates"]] == list(range(3, 103))  # the first 100
    assert body["errors"] == [{"line": 5002, "field": "number", "reason": "not a phone number"}]

    download = as_viewer.get(body["report_url"])

    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["line", "kind", "field", "number", "extension", "reason"]
    assert len(rows) == 1 + 4999 + 1
    assert rows[1] == ["3", "duplicate", "", "+14155550100", "", ""]
    assert rows[-1] == ["5002", "error", "number", "", "", "not a phone number"]
    assert [int(row[0]) for row in rows[1:]] == sorted(int(row[0]) for row in rows[1:])


def test_a_column_name_that_looks_like_a_formula_is_defused_in_the_csv(as_supervisor, campaign):
    content = b"number,=HYPERLINK(1)\n+14155550100," + b"x" * 1001 + b"\n"

    response = as_supervisor.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("t.csv", content)},
    )
    rows = list(
        csv.reader(io.StringIO(as_supervisor.get(response.json()["report_url"]).content.decode()))
    )

    assert rows[1] == ["2", "error", "'=HYPERLINK(1)", "", "", "longer than 1000 characters"]


def test_the_job_shows_the_same_report(as_viewer, as_supervisor, campaign):
    response = as_supervisor.post(
        "/api/targets/bulk/",
        {"campaign": campaign.pk, "targets": [{"number": "+14155550100"}, {"number": "nope"}]},
        format="json",
    )
    job = as_viewer.get(f"/api/imports/{response.json()['import_id']}/").json()

    assert (job["state"], job["rows_read"], job["created"], job["rejected"]) == ("done", 2, 1, 1)
    assert job["percent"] == 100
    assert job["report"]["errors"] == [
        {"line": 2, "field": "number", "reason": "not a phone number"}
    ]
