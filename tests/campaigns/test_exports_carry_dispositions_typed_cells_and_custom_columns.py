"""Issue 16 item 3: an attempts export carries the disposition, its notes and the call-back time
it asked for; its XLSX holds numbers and times as typed cells (so `SUM(billsec)` adds up in a
spreadsheet); every custom_data key of the exported rows becomes a column of its own."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from rest_framework.test import APIClient

from campaigns.models import Callback, CallbackState, Disposition, DispositionKind, Outcome
from tests.factories import make_attempt, make_target

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 3, 3, 18, 0, tzinfo=dt.UTC)  # 10:00 in Los Angeles


@pytest.fixture
def disposed(campaign, agents):
    call_back = Disposition.objects.create(campaign=campaign, code="call_back",
                                           label="Call back", kind=DispositionKind.CALLBACK)
    target = make_target(campaign, number="+14155550100", state="retry_wait",
                         custom_data={"company": "Acme", "employees": 120,
                                      "number": "dup", "tags": ["a", "b"]})
    other = make_target(campaign, number="+14155550101", custom_data={"region": "West"})
    attempt = make_attempt(target, agent=agents[0], node="fs1", originated_at=T0,
                           answered_at=T0 + dt.timedelta(seconds=4),
                           bridged_at=T0 + dt.timedelta(seconds=9),
                           ended_at=T0 + dt.timedelta(seconds=70), outcome=Outcome.ANSWERED,
                           hangup_cause="NORMAL_CLEARING", billsec=66,
                           disposition=call_back, disposition_notes="wants the manager",
                           disposed_at=T0 + dt.timedelta(seconds=60))
    Callback.objects.create(campaign=campaign, target=target, attempt=attempt, due_at=DUE,
                            timezone="America/Los_Angeles", state=CallbackState.CANCELLED)
    Callback.objects.create(campaign=campaign, target=target, attempt=attempt,
                            due_at=DUE + dt.timedelta(hours=1), timezone="America/Los_Angeles")
    busy = make_attempt(other, node="fs1", originated_at=T0, ended_at=T0, outcome=Outcome.BUSY,
                        hangup_cause="USER_BUSY", billsec=0)
    return attempt, busy


def _get(supervisor, url: str) -> bytes:
    client = APIClient()
    client.force_authenticate(supervisor)
    response = client.get(url)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


LISTENING = ("heard", "hello_at", "connect_timeline")


def test_the_csv_carries_the_disposition_notes_call_back_and_custom_columns(
        campaign, supervisor, disposed):
    attempt, busy = disposed
    body = _get(supervisor, f"/api/attempts/export/csv/?campaign={campaign.pk}")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8")[1:])))
    header = list(rows[0])
    # The disposition's columns, then what was heard on the line (issue 18), then custom data.
    assert header[-14:] == ["disposition", "disposition_label", "disposition_notes",
                            "disposed_at", "callback_at", "callback_timezone",
                            "heard", "hello_at", "connect_timeline",
                            "company", "employees", "custom.number", "region", "tags"]
    first, second = rows
    assert {k: first[k] for k in header[-14:] if k not in LISTENING} == {
        "disposition": "call_back", "disposition_label": "Call back",
        "disposition_notes": "wants the manager", "disposed_at": "2026-03-02T15:01:00+00:00",
        # The call back still owed (the cancelled one is not it).
        "callback_at": "2026-03-03T19:00:00+00:00", "callback_timezone": "America/Los_Angeles",
        "company": "Acme", "custom.number": "dup", "employees": "120", "region": "",
        "tags": '["a", "b"]'}
    assert (first["number"], second["number"]) == ("+14155550100", "+14155550101")
    assert (second["disposition"], second["callback_at"], second["region"]) == ("", "", "West")


def test_the_xlsx_holds_numbers_and_times_as_typed_cells(campaign, supervisor, disposed):
    attempt, busy = disposed
    body = _get(supervisor, f"/api/attempts/export/xlsx/?campaign={campaign.pk}")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}

    assert (row["attempt_id"].value, row["billsec"].value, row["attempt_number"].value) == (
        attempt.id, 66, 1)
    assert row["billsec"].data_type == "n" and row["target_id"].data_type == "n"
    # Times are date cells, in UTC (a spreadsheet has no zones).
    assert row["answered_at"].is_date and row["answered_at"].value == dt.datetime(
        2026, 3, 2, 15, 0, 4)
    assert row["callback_at"].is_date and row["callback_at"].value == dt.datetime(
        2026, 3, 3, 19, 0)
    # Text stays text, exact: the number is never a number cell.
    assert (row["number"].value, row["number"].data_type) == ("+14155550100", "s")
    assert (row["employees"].value, row["employees"].data_type) == (120, "n")
    assert row["disposition_notes"].value == "wants the manager"
    # SUM(billsec) over the sheet adds the typed cells.
    billsec = header.index("billsec")
    assert sum(r[billsec].value for r in sheet.iter_rows(min_row=2)) == 66


def test_the_targets_export_gets_a_column_per_custom_key(campaign, supervisor, disposed):
    body = _get(supervisor, f"/api/targets/export/csv/?campaign={campaign.pk}")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))
    # Sorted by key; "number" is a fixed column already, so its key column is custom.number.
    assert rows[0][-6:] == ["custom_data", "company", "employees", "custom.number", "region",
                            "tags"]
    assert [r[-5:] for r in rows[1:]] == [["Acme", "120", "dup", "", '["a", "b"]'],
                                          ["", "", "", "West", ""]]
