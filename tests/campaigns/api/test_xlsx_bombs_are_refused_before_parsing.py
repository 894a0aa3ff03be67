"""A small workbook that expands to a million rows is refused before openpyxl reads it."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.imports import run_queued_job
from campaigns.models import Target

pytestmark = pytest.mark.django_db


def workbook_with_rows(rows: int) -> bytes:
    """A valid .xlsx whose first sheet holds `rows` rows, built without openpyxl's writer."""
    book = openpyxl.Workbook()
    book.active.append(["number"])
    small = io.BytesIO()
    book.save(small)
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        b'org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        b"number</t></is></c></row>"
    )
    # Row and cell references are optional: without them every row is the same bytes, which
    # is what makes a zip bomb small.
    body = b'<row><c t="inlineStr"><is><t>+14155550100</t></is></c></row>' * rows
    out = io.BytesIO()
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = head + body + b"</sheetData></worksheet>"
            dst.writestr(item.filename, data, compresslevel=9)
    return out.getvalue()


@pytest.fixture
def no_openpyxl(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def upload(client, campaign, content):
    return client.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("bomb.xlsx", content)},
    )


def test_a_million_row_workbook_is_refused_by_its_row_count(as_supervisor, campaign, no_openpyxl):
    bomb = workbook_with_rows(1_000_000)
    assert len(bomb) < 500 * 1024  # a small upload, 55 MB of sheet XML

    response = upload(as_supervisor, campaign, bomb)

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "The file has more than 500,000 rows (IMPORT_MAX_ROWS); split it into smaller files."
        ]
    }
    assert not Target.objects.exists()


def test_a_workbook_that_expands_past_the_sheet_limit_is_refused(
    as_supervisor, campaign, settings, no_openpyxl
):
    settings.IMPORT_MAX_SHEET_BYTES = 1024 * 1024
    bomb = workbook_with_rows(40_000)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        expanded = sum(item.file_size for item in archive.infolist()) / (1024 * 1024)
    assert expanded > 2

    response = upload(as_supervisor, campaign, bomb)

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            f"The workbook expands to {expanded:.1f} MB of XML, more than the 1.0 MB allowed "
            "(IMPORT_MAX_SHEET_BYTES); save it as CSV or split it."
        ]
    }


def test_a_csv_past_the_row_limit_is_refused_too(as_supervisor, campaign, settings):
    settings.IMPORT_MAX_ROWS = 100
    content = b"number\n" + b"+14155550100\n" * 150

    response = as_supervisor.post(
        "/api/targets/import/",
        {"campaign": campaign.pk, "file": SimpleUploadedFile("t.csv", content)},
    )

    assert response.status_code == 400
    assert response.json() == {
        "file": ["The file has more than 100 rows (IMPORT_MAX_ROWS); split it into smaller files."]
    }


def test_a_workbook_within_the_limits_is_imported(as_supervisor, campaign):
    response = upload(as_supervisor, campaign, workbook_with_rows(3))

    assert response.status_code == 202  # every XLSX is imported in the background
    run_queued_job(response.json()["id"])  # the Celery task's body
    job = as_supervisor.get(f"/api/imports/{response.json()['id']}/").json()
    assert job["report"]["created"] == 1
    assert job["report"]["counts"]["duplicates"] == 2
