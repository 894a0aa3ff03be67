"""Exports: the CDR and the targets as CSV and XLSX, from the API (filtered like the list),
the admin (an action) and the campaign dashboard; streamed in bounded memory, one query
whatever the size, and cells that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns import spreadsheets
from campaigns.models import CallAttempt, Outcome, Target
from campaigns.services.reporting import exports
from tests.factories import make_attempt, make_campaign, make_target, make_viewer

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
ATTEMPT_HEADER = [
    "attempt_id", "call_uuid", "campaign_id", "campaign", "target_id", "number", "extension",
    "attempt_number", "agent", "agent_sip_user", "node", "queued_at", "originated_at",
    "answered_at", "dtmf_sent_at", "bridged_at", "ended_at", "outcome", "hangup_cause",
    "billsec", "counts_as_attempt", "agent_leg_cause", "disposition", "disposition_label",
    "disposition_notes", "disposed_at", "callback_at", "callback_timezone", "heard", "hello_at",
    "connect_timeline",
]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def calls(campaign, agents):
    answered = make_target(campaign, number="+14155550100", extension=",,204",
                           external_ref="=HYPERLINK(\"http://evil\")", state="completed",
                           last_outcome=Outcome.ANSWERED)
    busy = make_target(campaign, number="+14155550101", state="failed",
                       last_outcome=Outcome.BUSY, last_hangup_cause="USER_BUSY")
    first = make_attempt(answered, node="fs1", agent=agents[0], originated_at=T0,
                         answered_at=T0 + dt.timedelta(seconds=4),
                         dtmf_sent_at=T0 + dt.timedelta(seconds=5),
                         bridged_at=T0 + dt.timedelta(seconds=9),
                         ended_at=T0 + dt.timedelta(seconds=70), outcome=Outcome.ANSWERED,
                         hangup_cause="NORMAL_CLEARING", billsec=66)
    second = make_attempt(busy, node="fs2", originated_at=T0, ended_at=T0, outcome=Outcome.BUSY,
                          hangup_cause="USER_BUSY")
    return answered, busy, first, second


def test_the_api_exports_the_filtered_cdr_as_csv(campaign, supervisor, calls):
    answered, _busy, first, _second = calls
    client = APIClient()
    client.force_authenticate(supervisor)

    response = client.get(f"/api/attempts/export/csv/?campaign={campaign.pk}&outcome=answered")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="switchboard-attempts')
    assert _csv(response) == [
        ATTEMPT_HEADER,
        [str(first.id), str(first.uuid), str(campaign.pk), campaign.name, str(answered.id),
         "+14155550100", ",,204", "1", "Agent 0", "1000", "fs1", "",
         "2026-03-02T15:00:00+00:00", "2026-03-02T15:00:04+00:00", "2026-03-02T15:00:05+00:00",
         "2026-03-02T15:00:09+00:00", "2026-03-02T15:01:10+00:00", "answered",
         "NORMAL_CLEARING", "66", "true", "", "", "", "", "", "", "", "", "", "[]"],
    ]


def test_targets_export_with_their_last_outcome_and_formulas_neutralised(campaign, calls):
    client = APIClient()
    reader = make_viewer("reader")  # a viewer holding only the export permission
    reader.user_permissions.add(Permission.objects.get(codename="export_campaign_data"))
    client.force_authenticate(reader)

    response = client.get(f"/api/targets/export/csv/?campaign={campaign.pk}")

    rows = _csv(response)
    assert rows[0][:11] == [
        "target_id", "campaign_id", "campaign", "number", "extension", "external_ref", "timezone",
        "state", "attempts", "last_outcome", "last_hangup_cause",
    ]
    assert [(r[3], r[4], r[5], r[7], r[9], r[10]) for r in rows[1:]] == [
        # The E.164 number is a plain signed number and stays; the formula gets a leading '.
        ("+14155550100", ",,204", "'=HYPERLINK(\"http://evil\")", "completed", "answered", ""),
        ("+14155550101", "", "", "failed", "busy", "USER_BUSY"),
    ]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("+14155550100", "+14155550100"), ("-3", "-3"),
        ("ok", "ok"), ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(text, safe):
    assert spreadsheets.neutralise(text) == safe


def test_xlsx_holds_every_cell_as_text_never_a_formula(campaign, supervisor, calls):
    client = APIClient()
    client.force_authenticate(supervisor)

    response = client.get(f"/api/targets/export/xlsx/?campaign={campaign.pk}")

    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][5] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=6).data_type == "s"  # a string cell: never evaluated
    assert [row[3] for row in values] == ["number", "+14155550100", "+14155550101"]


def test_an_invalid_filter_is_a_400_not_a_file(supervisor):
    client = APIClient()
    client.force_authenticate(supervisor)
    response = client.get("/api/attempts/export/csv/?outcome=nonsense")
    assert response.status_code == 400
    assert "outcome" in response.json()


def test_the_admin_action_exports_the_selected_attempts(client, superuser, calls):
    _a, _b, first, second = calls
    client.force_login(superuser)

    response = client.post(
        reverse("admin:campaigns_callattempt_changelist"),
        {"action": "export_csv", "_selected_action": [second.pk]},
    )

    rows = _csv(response)
    assert [(row[0], row[17]) for row in rows[1:]] == [(str(second.pk), "busy")]


def test_the_dashboard_and_the_admin_page_link_to_the_campaign_exports(
    client, superuser, campaign, calls
):
    client.force_login(superuser)
    url = reverse("dashboard:campaign-export", args=[campaign.pk, "attempts", "csv"])

    dashboard = client.get(reverse("dashboard:campaign", args=[campaign.pk])).content.decode()
    admin = client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert f'href="{url}"' in dashboard and f'href="{url}"' in admin
    assert len(_csv(client.get(url))) == 3  # header and the campaign's two attempts


def _bulk_attempts(campaign, count: int) -> None:
    """`count` targets with one attempt each, inserted by PostgreSQL itself (fast)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Target._meta.db_table} (campaign_id, number, extension, external_ref,
                custom_data, timezone, state, attempts, last_outcome, last_hangup_cause,
                created_at, updated_at)
            SELECT %s, '+1415' || lpad(n::text, 7, '0'), '', 'ref-' || n, '{{}}', '',
                   'failed', 1, 'no_answer', 'NO_ANSWER', now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [campaign.pk, count],
        )
        cursor.execute(
            """
            INSERT INTO campaigns_callattempt (target_id, campaign_id, attempt_number, uuid,
                node, counts_as_attempt, hangup_cause, outcome, billsec, disposition_notes,
                agent_failovers, created_at)
            SELECT id, campaign_id, 1, gen_random_uuid(), 'fs1', true, 'NO_ANSWER',
                   'no_answer', 0, '', 0, now()
            FROM campaigns_target WHERE campaign_id = %s
            """,
            [campaign.pk],
        )


def _peak_bytes(campaign, fmt: str = "csv") -> int:
    """Peak Python memory while streaming every attempt of the campaign."""
    tracemalloc.start()
    try:
        for _chunk in exports.stream(
            "attempts", fmt, CallAttempt.objects.filter(campaign=campaign)
        ):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db(transaction=True)
def test_a_large_export_starts_at_once_with_one_query_and_bounded_memory(trunk, group):
    small, large = make_campaign(trunk, group), make_campaign(trunk, group)
    _bulk_attempts(small, 1_000)
    _bulk_attempts(large, 12_000)

    # The first bytes come before the rows are all read: the header and the first chunk only.
    stream = exports.stream("attempts", "csv", CallAttempt.objects.filter(campaign=large))
    with CaptureQueriesContext(connection) as queries:
        first = next(stream)
        with connection.cursor() as cursor:
            # The database streams too: an ordinary cursor, not one WITH HOLD, which PostgreSQL
            # would have materialised whole before the first row came back.
            cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            assert cursor.fetchall() == [(False,)]
        rest = sum(chunk.count(b"\r\n") for chunk in stream)
    assert first.startswith("\ufeffattempt_id,call_uuid".encode())
    assert first.count(b"\r\n") < 1000 and first.count(b"\r\n") + rest == 12_001
    # Two queries for the whole export (the custom_data keys, then the rows, read through a
    # server-side cursor in chunks).
    assert len([q for q in queries.captured_queries if "callattempt" in q["sql"]]) == 2

    # Twelve times the rows, about the same memory (not twelve times).
    small_peak, large_peak = _peak_bytes(small), _peak_bytes(large)
    assert large_peak < 3 * small_peak + 2_000_000


class _CountingQuerySet:
    """Stands for the rows' iterator: counts how many rows the writer has taken so far."""

    def __init__(self, records):
        self.records, self.taken = records, 0

    def __iter__(self):
        for record in self.records:
            self.taken += 1
            yield record


@pytest.mark.django_db(transaction=True)
def test_a_large_xlsx_export_starts_at_once_in_bounded_memory_and_opens(trunk, group):
    small, large = make_campaign(trunk, group), make_campaign(trunk, group)
    _bulk_attempts(small, 1_000)
    _bulk_attempts(large, 12_000)

    # The first bytes leave before any row is read (a zip written onto the response as it
    # goes, not a file finished first), and the next ones while the rows are still coming.
    rows = _CountingQuerySet(exports.rows("attempts", CallAttempt.objects.filter(campaign=large)))
    stream = spreadsheets.stream_xlsx(rows, sheet="call attempts")
    first = next(stream)
    assert first.startswith(b"PK\x03\x04") and rows.taken == 0
    assert next(stream) and 0 < rows.taken < 12_001
    b"".join(stream)
    assert rows.taken == 12_001

    # The same through the export itself: two queries, its cursor still open (the rows not all
    # read) when the second chunk has already left.
    stream = exports.stream("attempts", "xlsx", CallAttempt.objects.filter(campaign=large))
    with CaptureQueriesContext(connection) as queries:
        first = next(stream)
        assert not [q for q in queries.captured_queries if "callattempt" in q["sql"]]
        second = next(stream)
        with connection.cursor() as cursor:
            cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            assert cursor.fetchall() == [(False,)]
        body = first + second + b"".join(stream)
    assert len([q for q in queries.captured_queries if "callattempt" in q["sql"]]) == 2

    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    assert sheet.title == "call attempts"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(ATTEMPT_HEADER) and len(values) == 12_001
    assert values[1][5] == "+1415" + "1".zfill(7)  # a plain signed number: stays text, exact

    # Twelve times the rows, about the same memory (not twelve times).
    small_peak, large_peak = _peak_bytes(small, "xlsx"), _peak_bytes(large, "xlsx")
    assert large_peak < 3 * small_peak + 2_000_000


def test_xlsx_cells_are_exact_text_even_with_characters_xml_cannot_hold():
    rows = [["a\x00b", "line\r\nnext", "<&>", True, None, 1.5, float("nan"), "=1+1"]]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(spreadsheets.stream_xlsx(rows, "a/b?"))))
    sheet = book.worksheets[0]
    assert sheet.title == "a b"
    assert [cell.value for cell in sheet[1]] == [
        "a\ufffdb", "line\r\nnext", "<&>", "true", None, 1.5, "nan", "=1+1",
    ]


def test_xlsx_stops_at_its_row_limit():
    rows = ([n] for n in range(10))
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(spreadsheets.stream_xlsx(rows, max_rows=4)))
    ).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows()] == [0, 1, 2, 3]
