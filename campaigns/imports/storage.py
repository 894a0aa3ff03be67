"""Storing validated rows chunk by chunk, and the imports that run them (file, staged, JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from campaigns.imports.reading import _detect_format, _read_bytes, open_records
from campaigns.imports.report import ImportReport
from campaigns.imports.validation import (
    _json_fields,
    _json_row,
    _json_text,
    _Row,
    _rows_from_records,
    _Validator,
)
from campaigns.models import Campaign, DoNotCall, Target, TargetState
from campaigns.services.lifecycle import reopen_for_new_targets

CHUNK_ROWS = 5000

Progress = Callable[[int, int | None], None]


def _store_chunk(
    campaign: Campaign,
    chunk: list[_Row],
    report: ImportReport,
    dry_run: bool,
    stage: list[list[Any]] | None = None,
) -> None:
    """Check a chunk against the do-not-call list and existing targets, then insert it."""
    numbers = {row.number for row in chunk}
    blocked = _blocked_numbers(numbers)
    with transaction.atomic():
        # Serialise imports into one campaign: two uploads of one file then split the rows
        # cleanly instead of contending for the same index entries row by row.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).exists()
        if dry_run or connection.vendor != "postgresql":
            existing = set(
                Target.objects.filter(campaign_id=campaign.pk, number__in=numbers).values_list(
                    "number", "extension"
                )
            )
            fresh = [row for row in chunk if (row.number, row.extension) not in existing]
            inserted = (
                {(row.number, row.extension) for row in fresh}
                if dry_run
                else _insert(campaign, fresh, blocked)
            )
        else:
            # PostgreSQL: ON CONFLICT ... RETURNING says exactly which rows were new, so no
            # separate "already exists" query is needed, and a concurrent writer cannot fool it.
            inserted = _insert(campaign, chunk, blocked)
        for row in chunk:
            if (row.number, row.extension) not in inserted:
                report.add_duplicate(row.line, row.number, row.extension)
                continue
            if row.number in blocked:
                report.add_do_not_call(row.line, row.number)
            else:
                report.created += 1
            if stage is not None:  # a dry run keeps what it would insert, for the confirm step
                stage.append(list(row))


def _insert(campaign: Campaign, rows: list[_Row], blocked: set[str]) -> set[tuple[str, str]]:
    """Insert rows; return the (number, extension) pairs actually inserted."""
    if not rows:
        return set()
    now = timezone.now()

    def state(row: _Row) -> str:
        return TargetState.DO_NOT_CALL if row.number in blocked else TargetState.PENDING

    if connection.vendor != "postgresql":
        # SQLite (the embedded demo) has one writer at a time: the check above is exact.
        Target.objects.bulk_create(
            [
                Target(
                    campaign_id=campaign.pk,
                    number=row.number,
                    extension=row.extension,
                    external_ref=row.external_ref,
                    custom_data=row.custom_data,
                    timezone=row.timezone,
                    state=state(row),
                    created_at=now,
                    updated_at=now,
                )
                for row in rows
            ],
            batch_size=1000,
        )
        return {(row.number, row.extension) for row in rows}
    table = Target._meta.db_table
    # The chunk travels as ONE JSON text parameter: Django's psycopg binds parameters on the
    # client, and quoting six 5,000-element arrays (or 5,000 IN parameters) there costs more
    # than validating the rows. json.dumps is C; PostgreSQL unpacks it with jsonb_to_recordset.
    sql = f"""
        INSERT INTO {table} (campaign_id, number, extension, external_ref, custom_data, timezone,
                             state, attempts, last_outcome, last_hangup_cause, created_at,
                             updated_at)
        SELECT %s, r.n, r.e, r.r, r.c, r.z, r.s, 0, '', '', %s, %s
        FROM jsonb_to_recordset(%s::jsonb) AS r(n text, e text, r text, c jsonb, z text, s text)
        ON CONFLICT (campaign_id, number, extension) DO NOTHING
        RETURNING number, extension
    """  # noqa: S608 - the table name comes from the model, every value is a parameter
    payload = json.dumps(
        [
            {
                "n": row.number,
                "e": row.extension,
                "r": row.external_ref,
                "c": row.custom_data,
                "z": row.timezone,
                "s": state(row),
            }
            for row in rows
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, now, now, payload])
        return {(number, extension) for number, extension in cursor.fetchall()}


def _blocked_numbers(numbers: set[str]) -> set[str]:
    """The numbers among `numbers` that are on the do-not-call list (one indexed query)."""
    if not numbers:
        return set()
    if connection.vendor != "postgresql":
        return set(DoNotCall.objects.filter(number__in=numbers).values_list("number", flat=True))
    table = DoNotCall._meta.db_table
    sql = f"""
        SELECT number FROM {table}
        WHERE number IN (SELECT jsonb_array_elements_text(%s::jsonb))
    """  # noqa: S608 - the table name comes from the model, the numbers are one parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(sorted(numbers))])
        return {number for (number,) in cursor.fetchall()}


def _run(
    campaign: Campaign,
    rows: Iterable[_Row | None],
    report: ImportReport,
    *,
    total: int | None,
    progress: Progress | None,
    dry_run: bool,
    stage: list[list[Any]] | None = None,
    actor: Any = None,
) -> ImportReport:
    """Store the validated rows chunk by chunk; then reopen a completed campaign (`notice`)."""
    seen: set[tuple[str, str]] = set()
    chunk: list[_Row] = []
    done = 0
    for row in rows:
        done += 1
        if row is not None:
            key = (row.number, row.extension)
            if key in seen:
                report.add_duplicate(row.line, row.number, row.extension)
            else:
                seen.add(key)
                chunk.append(row)
        # Every CHUNK_ROWS rows read, not only stored: a file of duplicates or bad rows must
        # flush its report entries (and show progress) as often as a file of good rows.
        if len(chunk) >= CHUNK_ROWS or done % CHUNK_ROWS == 0:
            if chunk:
                _store_chunk(campaign, chunk, report, dry_run, stage)
            report.flush()
            chunk = []
            if progress:
                progress(done, total)
    if chunk:
        _store_chunk(campaign, chunk, report, dry_run, stage)
    report.flush()
    report.notice = reopen_for_new_targets(campaign, report.created, actor=actor, dry_run=dry_run)
    if progress:
        progress(done, total)
    return report


def import_targets(
    campaign: Campaign,
    source: Any,
    *,
    fmt: str | None = None,
    filename: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    report: ImportReport | None = None,
    stage: list[list[Any]] | None = None,
    actor: Any = None,
) -> ImportReport:
    """Import a CSV or XLSX file (bytes, path or file object) into the campaign's targets.

    `dry_run` validates and checks duplicates and the do-not-call list without inserting; with
    `stage`, it also appends the rows it would insert (for `import_staged`). `actor` is who the
    audit trail names if the import reopens a completed campaign. Raises ImportFileError only
    when the file as a whole is unreadable or past a limit.
    """
    data = _read_bytes(source)
    filename = filename or getattr(source, "name", None)
    kind = _detect_format(data, fmt, filename if isinstance(filename, str) else None)
    records, total = open_records(data, kind, encoding)
    report = report or ImportReport(dry_run=dry_run)
    rows = _rows_from_records(records, _Validator(campaign, report))
    return _run(
        campaign,
        rows,
        report,
        total=total,
        progress=progress,
        dry_run=dry_run,
        stage=stage,
        actor=actor,
    )


def import_staged(
    campaign: Campaign,
    staged: list[list[Any]],
    *,
    progress: Progress | None = None,
    report: ImportReport | None = None,
    actor: Any = None,
) -> ImportReport:
    """Store the rows a dry run validated (no second parse); duplicates and the do-not-call
    list are checked again, as they may have changed since."""
    report = report or ImportReport()
    rows = (_Row(*item) for item in staged)
    return _run(
        campaign, rows, report, total=len(staged), progress=progress, dry_run=False, actor=actor
    )


def import_rows(
    campaign: Campaign,
    rows: Iterable[Mapping[str, Any]],
    *,
    first_line: int = 1,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> ImportReport:
    """Import rows given as dicts (bulk JSON); a row's line is its 1-based position."""
    report = ImportReport(dry_run=dry_run)
    validator = _Validator(campaign, report)
    items = list(rows) if not isinstance(rows, list) else rows

    def validated() -> Iterator[_Row | None]:
        for line, item in enumerate(items, start=first_line):
            fields = _json_fields(item)
            if isinstance(fields, dict) and not any(value.strip() for value in fields.values()):
                report.blank_rows += 1  # the same rule as a blank line of a file
                continue
            report.rows += 1
            if isinstance(fields, str):
                report.add_error(line, "row", fields)
                row = None
            else:
                row = _json_row(line, fields, validator)
            if row is None:
                report.reject_text(line, _json_text(item))
            yield row

    return _run(
        campaign,
        validated(),
        report,
        total=len(items),
        progress=progress,
        dry_run=dry_run,
        actor=actor,
    )
