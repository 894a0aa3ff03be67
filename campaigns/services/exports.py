"""Results out as files: call attempts (the CDR) and targets with their last outcome, CSV or XLSX.

This module says which rows and columns; the file formats are `campaigns.spreadsheets` (the one
writer of every export, with its formula rule). Both formats stream: the rows come from one
query read through a server-side cursor in chunks (`iterator(chunk_size=...)`, inside a
transaction so PostgreSQL does not materialise the result first), and the writer sends each
chunk of rows as it is written, so a million-row export starts at once (CSV and XLSX alike) and
costs one query and bounded memory whatever its size. XLSX stops at Excel's 1,048,576 rows (the
CSV has no limit). Every cell is text here (times in UTC, ISO 8601), so an XLSX holds string
cells, exact and never evaluated; the CSV neutralises what a spreadsheet would run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from campaigns import spreadsheets
from campaigns.models import CallAttempt, Campaign, Target

CHUNK_ROWS = 2000
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {"csv": spreadsheets.CSV_TYPE, "xlsx": spreadsheets.XLSX_TYPE}

# (column header, queryset field) in file order.
ATTEMPT_COLUMNS = (
    ("attempt_id", "id"),
    ("call_uuid", "uuid"),
    ("campaign_id", "campaign_id"),
    ("campaign", "campaign__name"),
    ("target_id", "target_id"),
    ("number", "target__number"),
    ("extension", "target__extension"),
    ("attempt_number", "attempt_number"),
    ("agent", "agent__name"),
    ("agent_sip_user", "agent__sip_user"),
    ("node", "node"),
    ("queued_at", "queued_at"),
    ("originated_at", "originated_at"),
    ("answered_at", "answered_at"),
    ("dtmf_sent_at", "dtmf_sent_at"),
    ("bridged_at", "bridged_at"),
    ("ended_at", "ended_at"),
    ("outcome", "outcome"),
    ("hangup_cause", "hangup_cause"),
    ("billsec", "billsec"),
    ("counts_as_attempt", "counts_as_attempt"),
    # Listening to the line: who answered the extension, when the person spoke, and every
    # step with its evidence (JSON), so a supervisor can see why a call was called a machine.
    ("heard", "heard"),
    ("hello_at", "hello_at"),
    ("connect_timeline", "connect_timeline"),
)
TARGET_COLUMNS = (
    ("target_id", "id"),
    ("campaign_id", "campaign_id"),
    ("campaign", "campaign__name"),
    ("number", "number"),
    ("extension", "extension"),
    ("external_ref", "external_ref"),
    ("timezone", "timezone"),
    ("state", "state"),
    ("attempts", "attempts"),
    ("last_outcome", "last_outcome"),
    ("last_hangup_cause", "last_hangup_cause"),
    ("next_attempt_at", "next_attempt_at"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("custom_data", "custom_data"),
)
KINDS: dict[str, tuple[type, tuple[tuple[str, str], ...]]] = {
    "attempts": (CallAttempt, ATTEMPT_COLUMNS),
    "targets": (Target, TARGET_COLUMNS),
}
LABELS = {"attempts": "call attempts", "targets": "targets"}


def _cell(value: Any) -> str:
    """A database value as the text of one cell (times in UTC, ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _instant(value: Any) -> str:
    return "" if value is None else value.astimezone(dt.UTC).isoformat()


def _converter(model: type, path: str) -> Any:
    """The cell writer for one column, chosen once from the field's type (not per cell)."""
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    internal = field.get_internal_type() if field is not None else ""
    if internal == "DateTimeField":
        return _instant
    if internal in ("BooleanField", "JSONField"):
        return _cell
    return _text


def rows(kind: str, queryset: QuerySet) -> Iterator[list[str]]:
    """The header, then each row as text cells; one query, read in chunks by a server-side cursor
    (PostgreSQL), so memory stays bounded whatever the number of rows."""
    model, columns = KINDS[kind]
    yield [header for header, _ in columns]
    fields = [name for _, name in columns]
    converters = [_converter(model, name) for name in fields]
    records = queryset.order_by("id").values_list(*fields)  # values_list joins what it names
    # Inside a transaction Django's server-side cursor is an ordinary one. Outside (autocommit)
    # it is declared WITH HOLD, which PostgreSQL materialises whole at the DECLARE's commit: a
    # million-row export would then wait for every row before its first byte. The price is a
    # read-only transaction open while the file downloads (and one consistent snapshot).
    with transaction.atomic(using=queryset.db):
        if connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                # Prefer the plan that yields its first rows soonest (walk the primary key).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 0.01")
        for record in records.iterator(chunk_size=CHUNK_ROWS):
            yield [convert(value) for convert, value in zip(converters, record, strict=True)]


def filename(kind: str, fmt: str, campaign_id: int | None = None) -> str:
    """E.g. switchboard-attempts-campaign-3-20261201T2200Z.csv."""
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")
    scope = f"-campaign-{campaign_id}" if campaign_id else ""
    return f"switchboard-{kind}{scope}-{stamp}.{fmt}"


def stream(kind: str, fmt: str, queryset: QuerySet) -> Iterator[bytes]:
    """The export's bytes, lazily: nothing is read before the first chunk is asked for."""
    records = rows(kind, queryset)
    if fmt == "csv":
        return spreadsheets.stream_csv(records)
    return spreadsheets.stream_xlsx(records, sheet=LABELS[kind])


def streaming_response(
    kind: str, fmt: str, *, queryset: QuerySet | None = None, campaign_id: int | None = None
) -> StreamingHttpResponse:
    """A download of `queryset` (default: every row of `kind`, or one campaign's)."""
    model, _columns = KINDS[kind]
    if queryset is None:
        queryset = model.objects.all()
        if campaign_id is not None:
            queryset = queryset.filter(campaign_id=campaign_id)
    response = StreamingHttpResponse(stream(kind, fmt, queryset), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{filename(kind, fmt, campaign_id)}"'
    )
    response["Cache-Control"] = "no-store"
    return response


def export_links(campaign: Campaign) -> list[dict[str, str]]:
    """Download links for one campaign's attempts and targets, both formats."""
    return [
        {
            "label": f"{LABELS[kind]} ({fmt.upper()})",
            "url": reverse("dashboard:campaign-export", args=[campaign.pk, kind, fmt]),
        }
        for kind in KINDS
        for fmt in FORMATS
    ]
