"""Bulk JSON creation: per-row errors by position, good rows kept, like a file import."""

from __future__ import annotations

import pytest

from campaigns.models import Target


def _bulk(client, campaign, rows, **extra):
    body = {"campaign": campaign.pk, "targets": rows, **extra}
    return client.post("/api/targets/bulk/", body, format="json")


def test_good_rows_are_created_and_bad_rows_reported_by_position(as_supervisor, campaign):
    rows = [
        {"number": "+14155550100", "extension": "567", "external_ref": "a", "tier": "gold"},
        {"number": "+1415555010\n"},
        {"number": "+14155550101,,42"},
        {"number": "+14155550102", "timezone": "Mars/Base"},
        {"number": "+14155550100", "extension": "567"},
        {"extension": "1"},
    ]

    response = _bulk(as_supervisor, campaign, rows)

    body = response.json()
    assert body.pop("report_url") == f"/api/imports/{body.pop('import_id')}/report/"
    assert (response.status_code, body) == (
        201,
        {
            "created": 2,
            "rows": 6,
            "dry_run": False,
            "counts": {
                "errors": 3,
                "rejected_lines": 3,
                "duplicates": 1,
                "do_not_call": 0,
                "blank_rows": 0,
            },
            "truncated": False,
            "errors": [
                # Valid as typed or refused: the line break is not dropped silently.
                {
                    "line": 2,
                    "field": "number",
                    "reason": "contains a control character (a line break or tab)",
                },
                {"line": 4, "field": "timezone", "reason": "unknown time zone"},
                {"line": 6, "field": "number", "reason": "number is empty"},
            ],
            "duplicates": [{"line": 5, "number": "+14155550100", "extension": "567"}],
            "do_not_call": [],
            "parsed": [
                {"line": 1, "number": "+14155550100", "extension": "567", "dtmf": "567@200",
                 "played": "press 567 (200 ms tones)", "external_ref": "a",
                 "custom_data": {"tier": "gold"}},
                # Two commas: two phone pauses of the campaign's 2 s, kept exact in the row.
                {"line": 3, "number": "+14155550101", "extension": ",,42", "dtmf": "WWWW42@200",
                 "played": "wait 4 s, then press 42 (200 ms tones)", "external_ref": "",
                 "custom_data": {}},
                {"line": 5, "number": "+14155550100", "extension": "567", "dtmf": "567@200",
                 "played": "press 567 (200 ms tones)", "external_ref": "", "custom_data": {}},
            ],
            "rejected": [
                {"line": 2, "text": '{"number": "+1415555010\\n"}'},
                {"line": 4, "text": '{"number": "+14155550102", "timezone": "Mars/Base"}'},
                {"line": 6, "text": '{"extension": "1"}'},
            ],
            "notice": "",
        },
    )
    stored = Target.objects.filter(campaign=campaign).order_by("id")
    assert [(t.number, t.extension, t.custom_data) for t in stored] == [
        ("+14155550100", "567", {"tier": "gold"}),
        ("+14155550101", ",,42", {}),
    ]


def test_rows_that_are_all_bad_are_a_400_with_the_report(as_supervisor, campaign):
    response = _bulk(as_supervisor, campaign, [{"number": "+1 (415) 555-01\x0000"}])

    assert response.status_code == 400
    assert Target.objects.count() == 0


NOT_NULL = "This field may not be null."


def _row_error(index, error):
    return {"targets": {str(index): error}}


MALFORMED = [
    ({"campaign": None, "targets": [{"number": "+1"}]}, {"campaign": [NOT_NULL]}),
    (
        {"campaign": 0, "targets": []},
        {
            "campaign": ['Invalid pk "0" - object does not exist.'],
            "targets": ["This list may not be empty."],
        },
    ),
    ({"targets": "+1415"}, {"targets": ['Expected a list of items but got type "str".']}),
    (
        {"targets": [["+14155550100"]]},
        _row_error(0, ['Expected a dictionary of items but got type "list".']),
    ),
    ({"targets": [{"number": {"a": 1}}]}, _row_error(0, {"number": ["Not a valid string."]})),
    (
        {"targets": [{"number": "x" * 1001}]},
        _row_error(0, {"number": ["Ensure this field has no more than 1000 characters."]}),
    ),
    (
        {"targets": [{"number": "+1\x00"}]},
        _row_error(0, {"number": ["Null characters are not allowed."]}),
    ),
    (
        {"targets": [{"number": "+14155550100"}, {"number": "+14155550101", "a\x00b": "1"}]},
        _row_error(1, ["Column names must be 1 to 100 printable characters."]),
    ),
]


@pytest.mark.parametrize(("body", "errors"), MALFORMED)
def test_a_malformed_bulk_body_is_a_400_with_exact_errors(as_supervisor, campaign, body, errors):
    body = {"campaign": campaign.pk, **body}

    response = as_supervisor.post("/api/targets/bulk/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert Target.objects.count() == 0


def test_a_dry_run_creates_nothing(as_supervisor, campaign):
    response = _bulk(as_supervisor, campaign, [{"number": "+14155550100"}], dry_run=True)

    assert (response.status_code, response.json()["created"]) == (200, 1)
    assert Target.objects.count() == 0


def test_targets_read_back_through_the_list_and_detail(as_viewer, as_supervisor, campaign):
    _bulk(as_supervisor, campaign, [{"number": "+14155550100", "external_ref": "crm-9"}])
    target = Target.objects.get()

    listed = as_viewer.get("/api/targets/", {"campaign": campaign.pk}).json()["results"]
    detail = as_viewer.get(f"/api/targets/{target.pk}/").json()

    assert [row["id"] for row in listed] == [target.pk]
    assert (detail["number"], detail["external_ref"], detail["state"]) == (
        "+14155550100", "crm-9", "pending"
    )
