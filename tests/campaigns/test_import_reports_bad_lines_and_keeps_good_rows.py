"""A CSV with good and bad rows: the exact rejected lines with reasons, the good rows stored."""

from __future__ import annotations

import json

import pytest

from campaigns.errors import ImportFileError
from campaigns.imports import RowError, import_targets
from campaigns.models import Target, TargetState

CSV = """number,extension,external_ref,Company,timezone
(212) 555-0100,567,acme-1,ACME,
"(212) 555-0101,,42",,acme-2,ACME,
hello,1,bad-1,Nope,
(212) 555-0102,5;6,bad-2,Nope,

+49 30 123456 ext 9,,berlin,Berliner,
(212) 555-0103,,bad-3,Nope,Mars/Olympus
"(212) 555-0104","",multi-line ok,"First
Second",
12,,bad-4,Nope,
(212) 555-0105,,{ref},,America/Chicago
"""


def test_bad_rows_are_reported_by_file_line_and_good_rows_are_stored(campaign):
    report = import_targets(campaign, CSV.encode(), filename="targets.csv")

    assert report.errors == [
        RowError(4, "number", "not a phone number"),
        RowError(5, "extension", "extension may contain only 0-9 * # A-D, commas and w/W pauses"),
        RowError(8, "timezone", "unknown time zone"),
        RowError(11, "number", "not a valid phone number"),
    ]
    assert report.rejected_lines == [4, 5, 8, 11]
    assert report.created == 5
    assert report.rows == 9
    stored = list(
        Target.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list("number", "extension", "external_ref", "custom_data", "timezone", "state")
    )
    assert stored == [
        ("+12125550100", "567", "acme-1", {"Company": "ACME"}, "America/New_York", "pending"),
        ("+12125550101", ",,42", "acme-2", {"Company": "ACME"}, "America/New_York", "pending"),
        ("+4930123456", "9", "berlin", {"Company": "Berliner"}, "Europe/Berlin", "pending"),
        (
            "+12125550104",
            "",
            "multi-line ok",
            {"Company": "First\nSecond"},
            "America/New_York",
            "pending",
        ),
        ("+12125550105", "", "{ref}", {}, "America/Chicago", "pending"),
    ]


def test_the_report_is_json_serialisable(campaign):
    report = import_targets(campaign, CSV.encode(), filename="targets.csv")
    decoded = json.loads(json.dumps(report.to_dict()))
    assert decoded["created"] == 5
    assert decoded["errors"][0] == {"line": 4, "field": "number", "reason": "not a phone number"}


def test_semicolon_separated_files_from_european_spreadsheets_are_read(campaign):
    data = "Number;Extension\n030 123456;12\n030 123457;\n".encode("cp1252")
    campaign.default_region = "DE"
    report = import_targets(campaign, data, filename="t.csv")
    assert (report.created, report.errors) == (2, [])
    assert set(Target.objects.values_list("number", "extension")) == {
        ("+4930123456", "12"),
        ("+4930123457", ""),
    }


def test_a_broken_quote_spoils_only_its_own_line(campaign):
    data = (
        b'number,note\n(212) 555-0100,"fine"\n(212) 555-0101,"bad"x\n'
        b'(212) 555-0102,ok\n"(212) 555-0103,open\n'
    )
    report = import_targets(campaign, data, fmt="csv")
    assert report.errors == [
        RowError(3, "row", "CSV syntax error: ',' expected after '\"'"),
        RowError(5, "row", "CSV syntax error: unexpected end of data"),
    ]
    assert report.created == 2


def test_a_row_with_more_fields_than_the_header_is_rejected(campaign):
    report = import_targets(campaign, b"number\n(212) 555-0100,extra\n(212) 555-0101\n", fmt="csv")
    assert report.errors == [RowError(2, "row", "has 2 fields, the header has 1")]
    assert report.created == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"phone,extension\n2125550100,1\n", 'The header has no "number" column.'),
        (b"number,Number\n1,2\n", 'The header names the column "Number" twice.'),
        (
            b"number," + b"x" * 101 + b"\n1,2\n",
            "A column name is longer than 100 characters or is not printable.",
        ),
        (
            b'number,"a\x07b"\n1,2\n',
            "A column name is longer than 100 characters or is not printable.",
        ),
        (
            b"\xff\xfe\x00\x81\x8d",
            "The file is not valid utf-8 text: line 1 holds bytes that are not utf-8. Save it as "
            "UTF-8, or name its encoding (encoding=cp1252 for Windows-1252).",
        ),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(campaign, data, message):
    with pytest.raises(ImportFileError) as caught:
        import_targets(campaign, data, fmt="csv")
    assert str(caught.value) == message
    assert not Target.objects.exists()


def test_an_unknown_file_type_is_refused(campaign):
    with pytest.raises(ImportFileError) as caught:
        import_targets(campaign, b"number\n", filename="targets.pdf")
    assert str(caught.value) == "Unsupported file type; upload a .csv or .xlsx file."


def test_a_dry_run_reports_the_same_but_stores_nothing(campaign):
    report = import_targets(campaign, CSV.encode(), filename="targets.csv", dry_run=True)
    assert (report.created, report.rejected_lines, report.dry_run) == (5, [4, 5, 8, 11], True)
    assert not Target.objects.exists()


def test_progress_is_reported_until_every_row_is_read(campaign, monkeypatch):
    from campaigns.imports import storage

    monkeypatch.setattr(storage, "CHUNK_ROWS", 3)
    calls = []
    rows = "\n".join(f"(212) 555-{i:04d}" for i in range(200, 210))
    import_targets(
        campaign,
        f"number\n{rows}\n".encode(),
        fmt="csv",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(3, 10), (6, 10), (9, 10), (10, 10)]
    assert TargetState.PENDING and Target.objects.count() == 10
