"""Duplicates in a file and against existing targets, and do-not-call numbers, reported apart."""

from __future__ import annotations

from campaigns.imports import DoNotCallRow, Duplicate, import_rows, import_targets
from campaigns.models import Target, TargetState
from tests.factories import make_campaign, make_do_not_call, make_target

CSV = """number,extension
(212) 555-0100,1
(212) 555-0100,2
(212) 555-0100,1
(212) 555-0200,7
212-555-0100,2
(212) 555-0199,
(212) 555-0199,5
"""


def test_duplicates_and_do_not_call_numbers_are_reported_separately(campaign):
    make_target(campaign, number="+12125550200", extension="7")
    make_do_not_call("+12125550199")

    report = import_targets(campaign, CSV.encode(), fmt="csv")

    assert report.errors == []
    assert report.duplicates == [
        Duplicate(4, "+12125550100", "1"),  # earlier in this file (line 2)
        Duplicate(5, "+12125550200", "7"),  # already a target of the campaign
        Duplicate(6, "+12125550100", "2"),  # same as line 3 once normalised
    ]
    # Every extension of a blocked main line is blocked.
    assert report.do_not_call == [DoNotCallRow(7, "+12125550199"), DoNotCallRow(8, "+12125550199")]
    assert report.created == 2
    states = dict(
        (f"{number},{ext}", state)
        for number, ext, state in Target.objects.filter(campaign=campaign).values_list(
            "number", "extension", "state"
        )
    )
    assert states == {
        "+12125550100,1": TargetState.PENDING,
        "+12125550100,2": TargetState.PENDING,
        "+12125550200,7": TargetState.PENDING,
        "+12125550199,": TargetState.DO_NOT_CALL,
        "+12125550199,5": TargetState.DO_NOT_CALL,
    }


def test_importing_the_same_file_twice_creates_nothing_the_second_time(campaign):
    first = import_targets(campaign, CSV.encode(), fmt="csv")
    second = import_targets(campaign, CSV.encode(), fmt="csv")
    assert first.created == 5
    assert second.created == 0
    assert [dup.line for dup in second.duplicates] == [2, 3, 4, 5, 6, 7, 8]
    assert Target.objects.filter(campaign=campaign).count() == 5


def test_the_same_number_in_another_campaign_is_not_a_duplicate(campaign, trunk, group):
    other = make_campaign(trunk, group)
    make_target(other, number="+12125550100", extension="1")
    report = import_targets(campaign, b"number,extension\n(212) 555-0100,1\n", fmt="csv")
    assert (report.created, report.duplicates) == (1, [])


def test_json_rows_are_checked_like_lines_and_numbered_by_position(campaign):
    make_do_not_call("+12125550199")
    rows = [
        {"number": "(212) 555-0100", "extension": "1", "crm_id": 77},
        {"number": "nope"},
        {"extension": "1"},
        {"number": "(212) 555-0100", "extension": "1"},
        {"number": 2125550199},
        {"number": "(212) 555-0101,,9", "external_ref": "x" * 101},
        ["(212) 555-0102"],
        {"number": "(212) 555-0103", "external_ref": "a\x00b"},
        {"number": "(212) 555-0104", "note": "x\x00"},
        {"number": "(212) 555-0105", "bad\nname": "x"},
    ]
    report = import_rows(campaign, rows)
    assert [tuple(error) for error in report.errors] == [
        (2, "number", "not a phone number"),
        (3, "number", "number is empty"),
        (6, "external_ref", "longer than 100 characters"),
        (7, "row", "not an object with named fields"),
        (8, "external_ref", "contains a NUL character"),
        (9, "note", "contains a NUL character"),
        (10, "row", "a field name is too long or not printable"),
    ]
    assert report.duplicates == [Duplicate(4, "+12125550100", "1")]
    assert report.do_not_call == [DoNotCallRow(5, "+12125550199")]
    assert report.created == 1
    assert Target.objects.get(campaign=campaign, state="pending").custom_data == {"crm_id": "77"}
