"""XLSX workbooks import like CSV: numbers stored as numbers, line numbers are row numbers."""

from __future__ import annotations

import io

import openpyxl
import pytest

from campaigns.errors import ImportFileError
from campaigns.imports import RowError, import_targets
from campaigns.models import Target


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_workbook_imports_with_row_numbers_as_lines(campaign):
    data = workbook(
        [
            ["Number", "Extension", "Region"],
            [2125550100, 567, "east"],  # numbers typed as numbers
            [2125550101.0, None, None],  # Excel's float for a long digit string
            ["not a number", None, None],
            [None, None, None],  # an empty row left at the end
            ["(212) 555-0102", "ww12#", "east"],
        ]
    )
    report = import_targets(campaign, io.BytesIO(data), filename="targets.xlsx")

    assert report.errors == [RowError(4, "number", "not a phone number")]
    assert report.created == 3
    assert sorted(Target.objects.values_list("number", "extension", "custom_data")) == [
        ("+12125550100", "567", {"Region": "east"}),
        ("+12125550101", "", {}),
        ("+12125550102", "ww12#", {"Region": "east"}),
    ]


def test_the_format_is_sniffed_when_no_name_is_given(campaign):
    data = workbook([["number"], ["(212) 555-0100"]])
    assert import_targets(campaign, data).created == 1


def test_a_corrupt_workbook_is_refused_as_a_whole(campaign):
    with pytest.raises(ImportFileError) as caught:
        import_targets(campaign, b"PK\x03\x04 not really a zip", filename="t.xlsx")
    assert str(caught.value) == "The file is not a readable .xlsx workbook."
