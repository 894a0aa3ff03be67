"""Target import from CSV, XLSX or JSON rows: check every row, keep the good, report the rest.

Rules (DESIGN "Data that must never be lost or doubled"):

- A bad row is reported by its line number in the file (the header is line 1; for JSON rows the
  line is the row's 1-based position) with the field and the reason; good rows are kept.
- A number+extension seen earlier in the same file, or already a target of the campaign, is a
  duplicate: reported separately, never inserted twice.
- A number on the do-not-call list is stored as a target in state `do_not_call` (so the campaign
  shows what it will not dial, and removing the number from the list later never resurrects it)
  and reported separately; it is not counted in `created`, which counts dialable targets.
- Columns: `number` (required; may carry the extension in any notation phones and CRMs use:
  "number;567", "number #567", "number x567", "number ext. 567", "number,,567", "number p567"
  ... read by `telephony.dialstring.split_extension`, never dropped),
  `extension`, `external_ref`, `timezone` (else derived from the number); every other column
  goes into `custom_data`. Header names are matched case-insensitively.

Speed: rows are parsed and validated in Python in chunks; on PostgreSQL each chunk costs one
indexed do-not-call lookup and one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING
RETURNING`, whose RETURNING list says exactly which rows were new: every other row is reported
as a duplicate, even one a concurrent writer created a moment earlier. Imports into one campaign
are serialised by a row lock on the campaign. (Dry runs and SQLite look existing targets up.)
The report also keeps, for a preview, what the first good rows parsed to (number, extension, the
DTMF FreeSWITCH will be sent and how it plays) and the text of the first rejected lines; an
import into a completed campaign reopens it, or says why it will not (`notice`).
Most of the time goes to phonenumbers; results are cached per distinct raw number, so a file
that lists one main line with many extensions parses it once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from campaigns.errors import ImportFileError
from campaigns.models import Campaign, DoNotCall, Target, TargetState
from campaigns.services.lifecycle import reopen_for_new_targets
from campaigns.validators import (
    NumberError,
    parse_target,
    time_zone_names,
)
from telephony.dialstring import DialstringError, describe_dtmf

CHUNK_ROWS = 5000
MAX_VALUE_LENGTH = 1000
EXTERNAL_REF_MAX = 100
COLUMN_NAME_MAX = 100
KNOWN_COLUMNS = ("number", "extension", "external_ref", "timezone")
PREVIEW_ROWS = 200  # parsed rows and rejected lines kept for the preview (memory stays bounded)
RAW_TEXT_MAX = 500

Progress = Callable[[int, int | None], None]


class RowError(NamedTuple):
    line: int
    field: str
    reason: str


class Duplicate(NamedTuple):
    line: int
    number: str
    extension: str


class DoNotCallRow(NamedTuple):
    line: int
    number: str


class ParsedRow(NamedTuple):
    """A good row as it will be dialled: the DTMF sent after answer, and that in words."""

    line: int
    number: str
    extension: str
    dtmf: str
    played: str


class RejectedLine(NamedTuple):
    """The text of a rejected line, as the file had it (cells joined by commas)."""

    line: int
    text: str


@dataclass
class ImportReport:
    """What an import did; `to_dict()` is its JSON form."""

    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    do_not_call: list[DoNotCallRow] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False
    parsed: list[ParsedRow] = field(default_factory=list)  # the first PREVIEW_ROWS good rows
    rejected: list[RejectedLine] = field(default_factory=list)  # first PREVIEW_ROWS bad lines
    notice: str = ""  # what happens to the campaign (a completed one reopens), or ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the report."""
        return {
            "created": self.created,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "errors": [row._asdict() for row in self.errors],
            "duplicates": [row._asdict() for row in self.duplicates],
            "do_not_call": [row._asdict() for row in self.do_not_call],
            "parsed": [row._asdict() for row in self.parsed],
            "rejected": [row._asdict() for row in self.rejected],
            "notice": self.notice,
        }

    def reject_text(self, line: int, text: str) -> None:
        """Keep the text of a rejected line for the preview (the first PREVIEW_ROWS only)."""
        if len(self.rejected) < PREVIEW_ROWS:
            self.rejected.append(RejectedLine(line, text[:RAW_TEXT_MAX]))

    @property
    def rejected_lines(self) -> list[int]:
        """The distinct line numbers that had an error, in order."""
        return sorted({error.line for error in self.errors})


class _Row(NamedTuple):
    line: int
    number: str
    extension: str
    external_ref: str
    timezone: str
    custom_data: dict[str, str]


# --- Reading files -----------------------------------------------------------------------------


def _read_bytes(source: Any) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, os.PathLike):
        with open(source, "rb") as handle:
            return handle.read()
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise ImportFileError("The import source must be bytes, a path or a file object.")


def _detect_format(data: bytes, fmt: str | None, filename: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
    elif filename and "." in filename:
        fmt = filename.rsplit(".", 1)[1].lower()
    else:
        fmt = "xlsx" if data[:4] == b"PK\x03\x04" else "csv"
    if fmt in ("csv", "txt"):
        return "csv"
    if fmt == "xlsx":
        return "xlsx"
    raise ImportFileError("Unsupported file type; upload a .csv or .xlsx file.")


def _cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as the text a person typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store long digit strings (phone numbers) as numbers.
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _csv_records(data: bytes) -> tuple[Iterator[tuple[int, list[str] | str]], int | None]:
    """(line, fields or a syntax error) for each CSV record, and the rough count of data lines."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # what Excel on Windows writes for "CSV"
        except UnicodeDecodeError:
            raise ImportFileError("The file is neither UTF-8 nor Windows-1252 text.") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    def records() -> Iterator[tuple[int, list[str] | str]]:
        start = 1
        while True:
            try:
                record: list[str] | str = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A broken quote spoils that record only: report it and read on.
                record = f"CSV syntax error: {exc}"
            yield start, record
            start = reader.line_num + 1

    return records(), max(text.count("\n") - 1, 0)


def _xlsx_records(data: bytes) -> tuple[Iterator[tuple[int, list[str] | str]], int | None]:
    """(line, cells as text) for each row of the first worksheet, and its data row count."""
    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt or foreign file
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    sheet = book.worksheets[0]
    total = sheet.max_row - 1 if sheet.max_row else None

    def records() -> Iterator[tuple[int, list[str] | str]]:
        try:
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, [_cell_text(value) for value in row]
        finally:
            book.close()

    return records(), total


# --- Validation ----------------------------------------------------------------------------------


class _Header(NamedTuple):
    known: dict[str, int]  # known column -> index
    extra: list[tuple[int, str]]  # (index, original name) -> custom_data
    width: int  # cells a row may fill


def _parse_header(cells: list[str]) -> _Header:
    known: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, raw in enumerate(cells):
        name = raw.strip()
        key = name.lower()
        if not name:
            continue
        if len(name) > COLUMN_NAME_MAX or not name.isprintable():
            raise ImportFileError(
                f"A column name is longer than {COLUMN_NAME_MAX} characters or is not printable."
            )
        if key in seen:
            raise ImportFileError(f'The header names the column "{name[:50]}" twice.')
        seen.add(key)
        if key in KNOWN_COLUMNS:
            known[key] = index
        else:
            extra.append((index, name))
    if "number" not in known:
        raise ImportFileError('The header has no "number" column.')
    width = max([*known.values(), *(index for index, _ in extra)]) + 1
    return _Header(known, extra, width)


class _Validator:
    """Turns raw records into validated rows, collecting errors by line."""

    def __init__(self, campaign: Campaign, report: ImportReport) -> None:
        self.campaign = campaign
        self.region = campaign.default_region
        self.report = report
        self.zones = time_zone_names()

    def row(self, line: int, values: Mapping[str, str], extra: Mapping[str, str]) -> _Row | None:
        errors = self.report.errors
        before = len(errors)
        number = extension = derived_zone = ""
        try:
            number, extension, derived_zone = parse_target(
                values.get("number", ""), values.get("extension", ""), self.region
            )
        except NumberError as exc:
            errors.append(RowError(line, "number", str(exc)))
        except DialstringError as exc:
            errors.append(RowError(line, "extension", str(exc)))
        dtmf = ""
        if extension:
            try:  # with this campaign's pauses, the digits must still fit what FreeSWITCH takes
                dtmf = self.campaign.dtmf_for(extension)
            except DialstringError as exc:
                errors.append(RowError(line, "extension", f"{exc} once its pauses are rendered"))
        external_ref = values.get("external_ref", "").strip()
        if "\x00" in external_ref:  # PostgreSQL text cannot hold NUL: refuse the row, not the file
            errors.append(RowError(line, "external_ref", "contains a NUL character"))
        elif len(external_ref) > EXTERNAL_REF_MAX:
            errors.append(
                RowError(line, "external_ref", f"longer than {EXTERNAL_REF_MAX} characters")
            )
        zone = values.get("timezone", "").strip()
        if zone and zone not in self.zones:  # a NUL can never name a zone
            errors.append(RowError(line, "timezone", "unknown time zone"))
        custom: dict[str, str] = {}
        for name, value in extra.items():
            if "\x00" in value:
                errors.append(RowError(line, name, "contains a NUL character"))
            elif len(value) > MAX_VALUE_LENGTH:
                errors.append(RowError(line, name, f"longer than {MAX_VALUE_LENGTH} characters"))
            elif value != "":
                custom[name] = value
        if len(errors) != before:
            return None
        if len(self.report.parsed) < PREVIEW_ROWS:
            played = describe_dtmf(dtmf) if dtmf else "no digits"
            self.report.parsed.append(ParsedRow(line, number, extension, dtmf, played))
        return _Row(line, number, extension, external_ref, zone or derived_zone, custom)


def _rows_from_records(
    records: Iterator[tuple[int, list[str] | str]], validator: _Validator
) -> Iterator[_Row | None]:
    """Validated rows (None for a rejected or blank one) from header-led records."""
    header: _Header | None = None
    for line, cells in records:
        if isinstance(cells, str):  # the record could not be parsed at all
            if header is None:
                raise ImportFileError(f"The header line is not valid CSV ({cells}).")
            validator.report.rows += 1
            validator.report.errors.append(RowError(line, "row", cells))
            validator.report.reject_text(line, "(not readable as CSV)")
            yield None
            continue
        if header is None:
            header = _parse_header(cells)
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank lines and the empty rows spreadsheets leave at the end
        if any(cell.strip() for cell in cells[header.width :]):
            validator.report.rows += 1
            validator.report.errors.append(
                RowError(line, "row", f"has {len(cells)} fields, the header has {header.width}")
            )
            validator.report.reject_text(line, _line_text(cells))
            yield None
            continue
        values = {key: _at(cells, index) for key, index in header.known.items()}
        extra = {name: _at(cells, index).strip() for index, name in header.extra}
        validator.report.rows += 1
        row = validator.row(line, values, extra)
        if row is None:
            validator.report.reject_text(line, _line_text(cells))
        yield row
    if header is None:
        raise ImportFileError("The file is empty.")


def _line_text(cells: list[str]) -> str:
    """A record's cells as one CSV line (quoted where the file must have quoted them)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _at(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


# --- Storing -----------------------------------------------------------------------------------


def _store_chunk(
    campaign: Campaign, chunk: list[_Row], report: ImportReport, dry_run: bool
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
                report.duplicates.append(Duplicate(row.line, row.number, row.extension))
            elif row.number in blocked:
                report.do_not_call.append(DoNotCallRow(row.line, row.number))
            else:
                report.created += 1


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


# --- Entry points ------------------------------------------------------------------------------


def _run(
    campaign: Campaign,
    rows: Iterable[_Row | None],
    report: ImportReport,
    *,
    total: int | None,
    progress: Progress | None,
    dry_run: bool,
) -> ImportReport:
    seen: set[tuple[str, str]] = set()
    chunk: list[_Row] = []
    done = 0
    for row in rows:
        done += 1
        if row is not None:
            key = (row.number, row.extension)
            if key in seen:
                report.duplicates.append(Duplicate(row.line, row.number, row.extension))
            else:
                seen.add(key)
                chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            _store_chunk(campaign, chunk, report, dry_run)
            chunk = []
            if progress:
                progress(done, total)
    if chunk:
        _store_chunk(campaign, chunk, report, dry_run)
    if progress:
        progress(done, total)
    report.errors.sort()
    report.duplicates.sort()
    report.do_not_call.sort()
    return report


def import_targets(
    campaign: Campaign,
    source: Any,
    *,
    fmt: str | None = None,
    filename: str | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> ImportReport:
    """Import a CSV or XLSX file (bytes, path or file object) into the campaign's targets.

    `dry_run` validates and checks duplicates and the do-not-call list without inserting.
    Raises ImportFileError only when the file as a whole is unreadable.
    """
    data = _read_bytes(source)
    filename = filename or getattr(source, "name", None)
    kind = _detect_format(data, fmt, filename if isinstance(filename, str) else None)
    records, total = _csv_records(data) if kind == "csv" else _xlsx_records(data)
    report = ImportReport(dry_run=dry_run)
    rows = _rows_from_records(records, _Validator(campaign, report))
    _run(campaign, rows, report, total=total, progress=progress, dry_run=dry_run)
    report.notice = reopen_for_new_targets(campaign, report.created, actor=actor, dry_run=dry_run)
    return report


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
            if not isinstance(item, Mapping):
                report.rows += 1
                report.errors.append(RowError(line, "row", "not an object with named fields"))
                report.reject_text(line, _json_text(item))
                yield None
                continue
            normalised = {str(key).strip(): _cell_text(value) for key, value in item.items()}
            bad_key = next(
                (key for key in normalised if len(key) > COLUMN_NAME_MAX or not key.isprintable()),
                None,
            )
            if bad_key is not None:
                report.rows += 1
                report.errors.append(
                    RowError(line, "row", "a field name is too long or not printable")
                )
                report.reject_text(line, _json_text(item))
                yield None
                continue
            values = {
                key.lower(): value
                for key, value in normalised.items()
                if key.lower() in KNOWN_COLUMNS
            }
            extra = {
                key: value.strip()
                for key, value in normalised.items()
                if key and key.lower() not in KNOWN_COLUMNS
            }
            report.rows += 1
            if "number" not in values:
                report.errors.append(RowError(line, "number", "number is empty"))
                report.reject_text(line, _json_text(item))
                yield None
                continue
            row = validator.row(line, values, extra)
            if row is None:
                report.reject_text(line, _json_text(item))
            yield row

    _run(campaign, validated(), report, total=len(items), progress=progress, dry_run=dry_run)
    report.notice = reopen_for_new_targets(campaign, report.created, actor=actor, dry_run=dry_run)
    return report


def _json_text(item: Any) -> str:
    """A bulk JSON row as text for the report (never raises on odd values)."""
    try:
        return json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(item)
