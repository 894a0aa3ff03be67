"""A CSV/XLSX upload keeps the good rows and reports the bad ones by file line, with the reason."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.imports import run_queued_job
from campaigns.models import DoNotCall, Target

CSV = (
    b"number,extension,external_ref,note\n"
    b"+14155550100,567,crm-1,first\n"  # 2: good
    b"(212) 555-0100,,crm-2,\n"  # 3: good, national US number normalised
    b"not-a-number,,crm-3,\n"  # 4: bad number
    b"+14155550101,12;3,crm-4,\n"  # 5: bad extension
    b"+14155550100,567,crm-5,\n"  # 6: duplicate of line 2
    b"+14155550199,,crm-6,\n"  # 7: on the do-not-call list
    b"4155550102 x 89,,crm-7,\n"  # 8: good, extension inside the number
)

NUL_BYTES = "The file contains NUL bytes; save it as a UTF-8 CSV or an .xlsx workbook."
REPORT = {
    "created": 3,
    "rows": 7,
    "dry_run": False,
    "counts": {
        "errors": 2,
        "rejected_lines": 2,
        "duplicates": 1,
        "do_not_call": 1,
        "blank_rows": 0,
    },
    "truncated": False,
    "errors": [
        {"line": 4, "field": "number", "reason": "not a phone number"},
        {
            "line": 5,
            "field": "extension",
            "reason": "extension may contain only 0-9 * # A-D, commas and w/W pauses",
        },
    ],
    "duplicates": [{"line": 6, "number": "+14155550100", "extension": "567"}],
    "do_not_call": [{"line": 7, "number": "+14155550199"}],
    # The preview: what each good row parsed to and will play, and the text of each bad line.
    "parsed": [
        # With its reference and custom columns, as the target will hold them.
        {"line": 2, "number": "+14155550100", "extension": "567", "dtmf": "567@200",
         "played": "press 567 (200 ms tones)", "external_ref": "crm-1",
         "custom_data": {"note": "first"}},
        {"line": 3, "number": "+12125550100", "extension": "", "dtmf": "",
         "played": "no digits", "external_ref": "crm-2", "custom_data": {}},
        {"line": 6, "number": "+14155550100", "extension": "567", "dtmf": "567@200",
         "played": "press 567 (200 ms tones)", "external_ref": "crm-5", "custom_data": {}},
        {"line": 7, "number": "+14155550199", "extension": "", "dtmf": "",
         "played": "no digits", "external_ref": "crm-6", "custom_data": {}},
        {"line": 8, "number": "+14155550102", "extension": "89", "dtmf": "89@200",
         "played": "press 89 (200 ms tones)", "external_ref": "crm-7", "custom_data": {}},
    ],
    "rejected": [
        {"line": 4, "text": "not-a-number,,crm-3,"},
        {"line": 5, "text": "+14155550101,12;3,crm-4,"},
    ],
    "notice": "",
}


@pytest.fixture
def listed(db):
    return DoNotCall.objects.create(number="+14155550199")


def _report(response):
    """The report without the job's id and CSV link (checked here)."""
    body = dict(response.json())
    job = body.pop("import_id")
    assert body.pop("report_url") == f"/api/imports/{job}/report/"
    return body


def _upload(client, campaign, content, name="targets.csv", **extra):
    upload = SimpleUploadedFile(name, content)
    return client.post("/api/targets/import/", {"campaign": campaign.pk, "file": upload, **extra})


def test_a_csv_with_good_and_bad_rows_keeps_the_good_and_reports_the_bad(
    as_supervisor, campaign, listed
):
    response = _upload(as_supervisor, campaign, CSV)

    assert (response.status_code, _report(response)) == (201, REPORT)
    stored = Target.objects.filter(campaign=campaign).order_by("id")
    assert [(t.number, t.extension, t.external_ref, t.state) for t in stored] == [
        ("+14155550100", "567", "crm-1", "pending"),
        ("+12125550100", "", "crm-2", "pending"),
        ("+14155550199", "", "crm-6", "do_not_call"),
        ("+14155550102", "89", "crm-7", "pending"),
    ]
    assert stored[0].custom_data == {"note": "first"}


def test_the_same_rows_as_xlsx_give_the_same_report(as_supervisor, campaign, listed):
    book = openpyxl.Workbook()
    for record in CSV.decode().splitlines():
        book.active.append(record.split(","))
    content = io.BytesIO()
    book.save(content)

    response = _upload(as_supervisor, campaign, content.getvalue(), name="targets.xlsx")

    # Every XLSX is imported in the background (its job's task body runs here).
    assert (response.status_code, response.json()["state"]) == (202, "queued")
    run_queued_job(response.json()["id"])
    job = as_supervisor.get(f"/api/imports/{response.json()['id']}/").json()
    assert job["state"] == "done"
    report = dict(job["report"])
    report.pop("import_id", None)
    report.pop("report_url", None)
    assert report == REPORT


def test_a_dry_run_reports_and_stores_nothing(as_supervisor, campaign, listed):
    response = _upload(as_supervisor, campaign, CSV, dry_run="true")

    assert response.status_code == 200
    assert _report(response) == {**REPORT, "dry_run": True}
    assert Target.objects.filter(campaign=campaign).count() == 0


def test_a_file_where_every_row_is_bad_is_a_400_with_the_report(as_supervisor, campaign):
    response = _upload(as_supervisor, campaign, b"number\nnope\n+1\n")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "field": "number", "reason": "not a phone number"},
        {"line": 3, "field": "number", "reason": "not a phone number"},
    ]


@pytest.mark.parametrize(
    ("name", "content", "errors"),
    [
        ("t.csv", b"phone,ext\n+14155550100,1\n", {"file": ['The header has no "number" column.']}),
        ("t.pdf", b"%PDF-1.4", {"file": ["Unsupported file type; upload a .csv or .xlsx file."]}),
        ("t.xlsx", b"PK\x03\x04garbage", {"file": ["The file is not a readable .xlsx workbook."]}),
        ("t.csv", b"", {"file": ["The submitted file is empty."]}),
        ("t.csv", b"number,ref\n+14155550100,a\x00b\n", {"file": [NUL_BYTES]}),
    ],
)
def test_an_unreadable_file_is_a_400_on_the_file_field(
    as_supervisor, campaign, name, content, errors
):
    response = _upload(as_supervisor, campaign, content, name=name)

    assert (response.status_code, response.json()) == (400, errors)
    assert Target.objects.count() == 0


def test_a_broken_csv_quote_rejects_its_own_line(as_supervisor, campaign):
    response = _upload(as_supervisor, campaign, b'number\n+14155550100\n"+1415\n')

    assert response.status_code == 201
    assert response.json()["errors"] == [
        {"line": 3, "field": "row", "reason": "CSV syntax error: unexpected end of data"}
    ]
    assert list(Target.objects.values_list("number", flat=True)) == ["+14155550100"]


def test_an_import_without_a_campaign_or_file_names_both_fields(as_supervisor, db):
    response = as_supervisor.post("/api/targets/import/", {})

    assert (response.status_code, response.json()) == (
        400,
        {"campaign": ["This field is required."], "file": ["No file was submitted."]},
    )


def test_a_viewer_may_not_import(as_viewer, campaign):
    response = _upload(as_viewer, campaign, CSV)

    assert response.status_code == 403
    assert Target.objects.count() == 0
