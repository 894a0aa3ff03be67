"""Results out as files: call attempts (the CDR) and targets with their last outcome, CSV or XLSX.

This module says which rows and columns; the file formats are `campaigns.spreadsheets` (the one
writer of every export, with its formula rule). Both formats stream: the rows come from one
query read through a server-side cursor in chunks (`iterator(chunk_size=...)`, inside a
transaction so PostgreSQL does not materialise the result first), and the writer sends each
chunk of rows as it is written, so a million-row export starts at once (CSV and XLSX alike) and
costs two queries (the custom_data keys, then the rows) and bounded memory whatever its size.
XLSX stops at Excel's 1,048,576 rows (the CSV has no limit).

Columns: the fixed ones (an attempt's disposition, its notes and the call-back time it asked for
among them), then one column per custom_data key of the exported rows (sorted; a key named like
a fixed column is `custom.<key>`). In a CSV every cell is text (times in UTC, ISO 8601) and
what a spreadsheet would run is neutralised; in an XLSX ids, counts and seconds are number
cells and times are date cells (UTC: a spreadsheet has no zones), so `SUM(billsec)` adds up,
and text is string cells, exact and never evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db import connections, transaction
from django.db.models import F, Func, OuterRef, QuerySet, Subquery
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from campaigns import spreadsheets
from campaigns.models import CallAttempt, Callback, CallbackState, Campaign, Target

CHUNK_ROWS = 2000
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {"csv": spreadsheets.CSV_TYPE, "xlsx": spreadsheets.XLSX_TYPE}
MAX_CUSTOM_COLUMNS = 200  # custom_data keys shown as columns at most (sorted), per export

# The call back an attempt's disposition asked for (the latest not cancelled), for its columns.
_CALLBACKS = Callback.objects.filter(attempt_id=OuterRef("id")).exclude(
    state=CallbackState.CANCELLED).order_by("-id")
ANNOTATIONS: dict[str, dict[str, Any]] = {
    "attempts": {
        "callback_due": Subquery(_CALLBACKS.values("due_at")[:1]),
        "callback_zone": Subquery(_CALLBACKS.values("timezone")[:1]),
    },
    "targets": {},
}
# Annotation columns' types (they have no model field to read it from).
_ANNOTATION_TYPES = {"callback_due": "DateTimeField", "callback_zone": "CharField"}

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
    ("agent_leg_cause", "agent_leg_cause"),
    ("disposition", "disposition__code"),
    ("disposition_label", "disposition__label"),
    ("disposition_notes", "disposition_notes"),
    ("disposed_at", "disposed_at"),
    ("callback_at", "callback_due"),
    ("callback_timezone", "callback_zone"),
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
# Where each kind's custom_data is: its keys become columns after the fixed ones.
CUSTOM_DATA = {"attempts": "target__custom_data", "targets": "custom_data"}
LABELS = {"attempts": "call attempts", "targets": "targets"}
_NUMBER_FIELDS = ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField",
                  "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField",
                  "ForeignKey")


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


def _same(value: Any) -> Any:
    return value


def _custom(value: Any) -> Any:
    """One custom_data value: numbers stay numbers (typed), text stays text, anything else JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _internal_type(model: type, path: str) -> str:
    if path in _ANNOTATION_TYPES:
        return _ANNOTATION_TYPES[path]
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    return field.get_internal_type() if field is not None else ""


def _converter(model: type, path: str, *, typed: bool = False) -> Any:
    """The cell writer for one column, chosen once from the field's type (not per cell).

    `typed` (XLSX): numbers stay numbers and times stay datetimes, so the writer makes number
    and date cells a spreadsheet can add up; else (CSV) every cell is text."""
    internal = _internal_type(model, path)
    if internal == "DateTimeField":
        return _same if typed else _instant
    if typed and internal in _NUMBER_FIELDS:
        return _same
    if internal in ("BooleanField", "JSONField"):
        return _cell
    return _text


def custom_keys(kind: str, queryset: QuerySet) -> list[str]:
    """The custom_data keys of the rows to export, sorted (one query; bounded in number)."""
    path = CUSTOM_DATA[kind]
    rows = queryset.order_by()
    if connections[queryset.db].vendor == "postgresql":
        keys = (rows.annotate(custom_key=Func(F(path), function="jsonb_object_keys"))
                .values_list("custom_key", flat=True).distinct())
        found = set(keys)
    else:  # SQLite (the embedded demo): read the objects, one query all the same
        found = set()
        for data in rows.values_list(path, flat=True).iterator(chunk_size=CHUNK_ROWS):
            if isinstance(data, dict):
                found.update(data)
    return sorted(str(key) for key in found)[:MAX_CUSTOM_COLUMNS]


def rows(kind: str, queryset: QuerySet, *, typed: bool = False) -> Iterator[list[Any]]:
    """The header, then each row; two queries (the custom_data keys, then the rows, read in
    chunks by a server-side cursor on PostgreSQL), so memory stays bounded whatever the number
    of rows. `typed`: numbers and times as such (XLSX), else text (CSV)."""
    model, columns = KINDS[kind]
    keys = custom_keys(kind, queryset)
    fixed = {header for header, _ in columns}
    # A key named like a fixed column gets a prefix; the others are their own column name.
    yield [header for header, _ in columns] + [
        f"custom.{key}" if key in fixed else key for key in keys]
    fields = [name for _, name in columns]
    converters = [_converter(model, name, typed=typed) for name in fields]
    custom_convert = _custom if typed else _custom_text
    queryset = queryset.annotate(**ANNOTATIONS[kind]) if ANNOTATIONS[kind] else queryset
    # values_list joins what it names; the custom_data last, for the key columns.
    records = queryset.order_by("id").values_list(*fields, CUSTOM_DATA[kind])
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
            data = record[-1] if isinstance(record[-1], dict) else {}
            yield [convert(value) for convert, value in zip(converters, record, strict=False)] + [
                custom_convert(data.get(key)) for key in keys]


def _custom_text(value: Any) -> str:
    return _cell(_custom(value))


def filename(kind: str, fmt: str, campaign_id: int | None = None) -> str:
    """E.g. switchboard-attempts-campaign-3-20261201T2200Z.csv."""
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")
    scope = f"-campaign-{campaign_id}" if campaign_id else ""
    return f"switchboard-{kind}{scope}-{stamp}.{fmt}"


def stream(kind: str, fmt: str, queryset: QuerySet) -> Iterator[bytes]:
    """The export's bytes, lazily: nothing is read before the first chunk is asked for."""
    if fmt == "csv":
        return spreadsheets.stream_csv(rows(kind, queryset))
    return spreadsheets.stream_xlsx(rows(kind, queryset, typed=True), sheet=LABELS[kind])


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
