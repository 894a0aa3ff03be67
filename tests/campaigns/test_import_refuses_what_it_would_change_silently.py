"""One rule for hostile input: valid as typed or refused with the reason; blank rows one rule."""

from __future__ import annotations

import io

import openpyxl
import pytest

from campaigns.imports import RowError, import_rows, import_targets
from campaigns.models import Target

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            {"number": "+14155550100", "extension": "567\r"},
            RowError(1, "extension", "contains a control character (a line break or tab)"),
        ),
        (
            {"number": "+14155550100\t"},
            RowError(1, "number", "contains a control character (a line break or tab)"),
        ),
        (
            {"number": "++14155550100"},
            RowError(1, "number", "a number may hold one + and only at its start"),
        ),
        (
            {"number": "1+4155550100"},
            RowError(1, "number", "a number may hold one + and only at its start"),
        ),
        (
            {"number": "+14155550100", "external_ref": "crm\n1"},
            RowError(1, "external_ref", "contains a control character (a line break or tab)"),
        ),
        (
            {"number": "+14155550100", "timezone": "UTC\r"},
            RowError(1, "timezone", "contains a control character (a line break or tab)"),
        ),
    ],
)
def test_a_value_the_grammar_would_change_is_refused(campaign, row, error):
    report = import_rows(campaign, [row])

    assert (report.created, report.errors) == (0, [error])
    assert not Target.objects.exists()


def test_the_same_values_are_refused_in_a_csv(campaign):
    content = b'number,extension\n"+14155550100","567\r"\n++14155550101,\n+14155550102,568\n'

    report = import_targets(campaign, content, fmt="csv")

    assert report.errors == [
        RowError(2, "extension", "contains a control character (a line break or tab)"),
        RowError(4, "number", "a number may hold one + and only at its start"),
    ]
    assert list(Target.objects.values_list("number", "extension")) == [("+14155550102", "568")]


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_blank_rows_follow_one_rule_in_csv_xlsx_and_json(campaign):
    """A row with no value at all is skipped and counted; a row with a value needs a number."""
    csv_report = import_targets(
        campaign, b"number,note\n+14155550100,a\n,\n\n,orphan\n", fmt="csv", dry_run=True
    )
    xlsx_report = import_targets(
        campaign,
        xlsx(
            [
                ["number", "note"],
                ["+14155550100", "a"],
                [None, None],
                [None, None],
                [None, "orphan"],
            ]
        ),
        fmt="xlsx",
        dry_run=True,
    )
    json_report = import_rows(
        campaign,
        [
            {"number": "+14155550100", "note": "a"},
            {"number": "", "note": ""},
            {"number": None},
            {"number": "", "note": "orphan"},
        ],
        first_line=2,
        dry_run=True,
    )

    for report in (csv_report, xlsx_report, json_report):
        assert (report.created, report.blank_rows) == (1, 2)
        assert report.errors == [RowError(5, "number", "number is empty")]
