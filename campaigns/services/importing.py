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

Hostile files (README "Limits"): an upload is refused as a whole, with the limit named, when it
is larger than IMPORT_MAX_UPLOAD_BYTES, holds NUL bytes (CSV), is not strictly decodable in its
encoding (UTF-8 unless told; the undecodable lines are listed by number, nothing is re-decoded
behind the user's back), holds more than IMPORT_MAX_ROWS rows, or is a workbook whose XML
expands past IMPORT_MAX_SHEET_BYTES: rows and sizes are checked before anything is parsed.

Reports are bounded: counts of every kind, the first IMPORT_REPORT_ENTRIES entries of each
(in line order), and every entry in a CSV (`ImportReport.csv_text()`) that the API and the
admin offer for download. Imports larger than IMPORT_ASYNC_BYTES run as a Celery task with a
progress record (`ImportJob`); see `start_file_import`.

For a preview the report also keeps, within the same bound, what the first good rows parsed to
(number, extension, the DTMF FreeSWITCH will be sent and how it plays) and the text of the first
rejected lines; an import into a completed campaign reopens it, or says why it will not
(`notice`; a dry run says what the import would do).

Blank rows, one rule for every format: a record with no value at all (an empty CSV line, `,,`,
an empty spreadsheet row, a JSON object whose values are all blank) is not a target: it is
skipped and counted (`blank_rows`). Any other row needs a number ("number is empty").

Speed: rows are parsed and validated in Python in chunks; on PostgreSQL each chunk costs one
indexed do-not-call lookup and one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING
RETURNING`, whose RETURNING list says exactly which rows were new: every other row is reported
as a duplicate, even one a concurrent writer created a moment earlier. Imports into one campaign
are serialised by a row lock on the campaign. (Dry runs and SQLite look existing targets up.)
Most of the time goes to phonenumbers; results are cached per distinct raw number, so a file
that lists one main line with many extensions parses it once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.errors import ImportFileError
from campaigns.models import Campaign, DoNotCall, ImportJob, ImportState, Target, TargetState
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
ZIP_MAGIC = b"PK\x03\x04"
# encoding parameter -> codec; decoding is strict in every one of them.
ENCODINGS = {"utf-8": "utf-8-sig", "cp1252": "cp1252", "iso-8859-1": "iso-8859-1"}
BAD_LINES_SHOWN = 20
RAW_TEXT_MAX = 500  # characters of a rejected line kept for the preview
IMPORT_TASK = "switchboard.import_targets"  # workers/tasks/imports.py
MB = 1024 * 1024

log = logging.getLogger(__name__)

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
    external_ref: str = ""
    custom_data: dict[str, str] | None = None  # the other columns, kept as custom data


class RejectedLine(NamedTuple):
    """The text of a rejected line, as the file had it (cells joined by commas)."""

    line: int
    text: str


def _safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (column names come from the file)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class ImportReport:
    """What an import did: counts, the first `limit` entries of each kind, every entry as CSV.

    Entries arrive chunk by chunk, every line of a chunk after every line of the chunks before:
    `flush()` at each chunk's end sorts the chunk's entries, so the lists and the CSV are in
    line order without holding a million entries in memory.
    """

    created: int = 0
    rows: int = 0
    dry_run: bool = False
    limit: int = field(default_factory=lambda: settings.IMPORT_REPORT_ENTRIES)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    do_not_call: list[DoNotCallRow] = field(default_factory=list)
    error_count: int = 0
    rejected_count: int = 0
    duplicate_count: int = 0
    do_not_call_count: int = 0
    blank_rows: int = 0
    parsed: list[ParsedRow] = field(default_factory=list)  # the first `limit` good rows
    rejected: list[RejectedLine] = field(default_factory=list)  # the first `limit` bad lines
    notice: str = ""  # what happens to the campaign (a completed one reopens), or ""
    _pending: list[tuple[int, int, tuple[Any, ...]]] = field(default_factory=list, repr=False)
    _last_rejected: int = field(default=0, repr=False)
    _sink: Any = field(default=None, repr=False)

    def add_error(self, line: int, field_name: str, reason: str) -> None:
        self.error_count += 1
        if line != self._last_rejected:  # errors come in line order, several per line
            self.rejected_count += 1
            self._last_rejected = line
        self._pending.append((line, 0, RowError(line, field_name, reason)))

    def add_duplicate(self, line: int, number: str, extension: str) -> None:
        self.duplicate_count += 1
        self._pending.append((line, 1, Duplicate(line, number, extension)))

    def add_do_not_call(self, line: int, number: str) -> None:
        self.do_not_call_count += 1
        self._pending.append((line, 2, DoNotCallRow(line, number)))

    def add_parsed(self, row: ParsedRow) -> None:
        """Keep what a good row parsed to, for the preview (the first `limit` only)."""
        if len(self.parsed) < self.limit:
            self.parsed.append(row)

    def reject_text(self, line: int, text: str) -> None:
        """Keep the text of a rejected line, for the preview (the first `limit` only).

        Rows are validated in line order, so the list is in line order without a sort.
        """
        if len(self.rejected) < self.limit:
            self.rejected.append(RejectedLine(line, text[:RAW_TEXT_MAX]))

    def flush(self) -> None:
        """Move the pending entries, in line order, into the bounded lists and the CSV."""
        if not self._pending:
            return
        if self._sink is None:
            # Closed by close() (or with the report): it outlives this call by design.
            self._sink = tempfile.SpooledTemporaryFile(max_size=MB, mode="w+", newline="")  # noqa: SIM115
            csv.writer(self._sink).writerow(
                ["line", "kind", "field", "number", "extension", "reason"]
            )
        writer = csv.writer(self._sink)
        self._pending.sort(key=lambda item: (item[0], item[1]))
        for _line, kind, entry in self._pending:
            if kind == 0:
                writer.writerow(
                    [entry.line, "error", _safe_cell(entry.field), "", "", _safe_cell(entry.reason)]
                )
                target: list[Any] = self.errors
            elif kind == 1:
                writer.writerow([entry.line, "duplicate", "", entry.number, entry.extension, ""])
                target = self.duplicates
            else:
                writer.writerow([entry.line, "do_not_call", "", entry.number, "", ""])
                target = self.do_not_call
            if len(target) < self.limit:
                target.append(entry)
        self._pending.clear()

    @property
    def truncated(self) -> bool:
        """True when some entries are only in the CSV."""
        return (self.error_count, self.duplicate_count, self.do_not_call_count) != (
            len(self.errors),
            len(self.duplicates),
            len(self.do_not_call),
        )

    def csv_text(self) -> str:
        """Every entry of the report as CSV (header only when there is none)."""
        self.flush()
        if self._sink is None:
            return "line,kind,field,number,extension,reason\r\n"
        self._sink.seek(0)
        return self._sink.read()

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def counts(self) -> dict[str, int]:
        return {
            "errors": self.error_count,
            "rejected_lines": self.rejected_count,
            "duplicates": self.duplicate_count,
            "do_not_call": self.do_not_call_count,
            "blank_rows": self.blank_rows,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the bounded report."""
        self.flush()
        return {
            "created": self.created,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "truncated": self.truncated,
            "errors": [row._asdict() for row in self.errors],
            "duplicates": [row._asdict() for row in self.duplicates],
            "do_not_call": [row._asdict() for row in self.do_not_call],
            "parsed": [row._asdict() for row in self.parsed],
            "rejected": [row._asdict() for row in self.rejected],
            "notice": self.notice,
        }

    @property
    def rejected_lines(self) -> list[int]:
        """The distinct line numbers among the errors kept in the report, in order."""
        self.flush()
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


def _too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(
        f"The file has more than {limit:,} rows (IMPORT_MAX_ROWS); split it into smaller files.",
        code="too_many_rows",
    )


def _decode(data: bytes, encoding: str | None) -> str:
    """The file's text, decoded strictly; an error lists the lines that do not decode."""
    name = (encoding or "utf-8").lower()
    if name not in ENCODINGS:
        raise ImportFileError(
            f"Unknown encoding {name[:20]!r}; use one of {', '.join(ENCODINGS)}.",
            code="bad_encoding",
        )
    codec = ENCODINGS[name]
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    bad = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode(codec if number == 1 else codec.replace("-sig", ""))
        except UnicodeDecodeError:
            bad.append(number)
    shown = ", ".join(str(number) for number in bad[:BAD_LINES_SHOWN])
    more = f" and {len(bad) - BAD_LINES_SHOWN} more" if len(bad) > BAD_LINES_SHOWN else ""
    label, verb = ("line", "holds") if len(bad) == 1 else ("lines", "hold")
    raise ImportFileError(
        f"The file is not valid {name} text: {label} {shown}{more} {verb} bytes that are not "
        f"{name}. Save it as UTF-8, or name its encoding (encoding=cp1252 for Windows-1252).",
        code="bad_encoding",
    )


def _csv_records(
    data: bytes, encoding: str | None = None
) -> tuple[Iterator[tuple[int, list[str] | str]], int | None]:
    """(line, fields or a syntax error) for each CSV record, and the rough count of data lines."""
    text = _decode(data, encoding)
    lines = max(text.count("\n") - 1, 0)
    if lines > settings.IMPORT_MAX_ROWS + 1:  # (a last line may lack its newline)
        raise _too_many_rows(settings.IMPORT_MAX_ROWS)
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

    return records(), lines


# A <row> start tag, with or without a namespace prefix (<x:row ...>).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _check_workbook(data: bytes) -> None:
    """Refuse a workbook whose XML is too big or whose sheets hold too many rows, unparsed.

    The declared sizes are what zipfile will ever produce for each member (it stops there and
    checks the CRC), so bounding them bounds what openpyxl can read; the rows are counted by
    scanning the worksheets' bytes for <row> tags, one chunk at a time.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    expanded = sum(member.file_size for member in members)
    limit = settings.IMPORT_MAX_SHEET_BYTES
    if expanded > limit or len(members) > 10_000:
        raise ImportFileError(
            f"The workbook expands to {expanded / MB:,.1f} MB of XML, more than the "
            f"{limit / MB:,.1f} MB allowed (IMPORT_MAX_SHEET_BYTES); save it as CSV or split it.",
            code="too_large",
        )
    max_rows = settings.IMPORT_MAX_ROWS
    rows = 0
    for member in members:
        if not member.filename.startswith("xl/worksheets/") or not member.filename.endswith(".xml"):
            continue
        try:
            with archive.open(member) as sheet:
                carry = b""
                while chunk := sheet.read(MB):
                    block = carry + chunk
                    # Count tags that end in this block; keep a short tail for the next one.
                    cut = max(len(block) - 64, 0)
                    rows += len(_ROW_TAG.findall(block, 0, cut))
                    carry = block[cut:]
                    if rows > max_rows + 1:  # + the header
                        raise _too_many_rows(max_rows)
                rows += len(_ROW_TAG.findall(carry))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    if rows > max_rows + 1:
        raise _too_many_rows(max_rows)


MAX_COLUMNS = 100  # columns an XLSX row may fill (custom columns included)


def _xlsx_records(data: bytes) -> tuple[Iterator[tuple[int, list[str] | str]], int | None]:
    """(line, cells as text) for each row of the first worksheet, and its data row count."""
    import openpyxl  # imported here: only XLSX imports pay for it

    _check_workbook(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt or foreign file
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    sheet = book.worksheets[0]
    total = sheet.max_row - 1 if sheet.max_row else None
    max_rows = settings.IMPORT_MAX_ROWS

    def records() -> Iterator[tuple[int, list[str] | str]]:
        # Streaming (read_only, iter_rows): one row in memory at a time. max_col bounds each
        # row too: openpyxl pads every row to the sheet's declared width, and a dimension of
        # A1:XFD490000 would otherwise make each row 16,384 cells.
        width = 0  # the header's columns: a row keeps at least these, as in a CSV
        try:
            for line, row in enumerate(
                sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1
            ):
                if line > max_rows + 1:  # the scan above makes this unreachable; kept as a bound
                    raise _too_many_rows(max_rows)
                cells = [_cell_text(value) for value in row]
                if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
                    raise ImportFileError(
                        f"Line {line} has more than {MAX_COLUMNS} columns; keep the columns "
                        "the import reads (number, extension, ...) and save it again.",
                        code="too_many_columns",
                    )
                del cells[MAX_COLUMNS:]
                while len(cells) > width and not cells[-1]:  # the padding openpyxl added
                    cells.pop()
                if line == 1:
                    width = len(cells)
                yield line, cells
        finally:
            book.close()

    return records(), total


def open_records(
    data: bytes, kind: str, encoding: str | None = None
) -> tuple[Iterator[tuple[int, list[str] | str]], int | None]:
    """The records of a CSV or XLSX file after every whole-file check (raises ImportFileError)."""
    if kind == "csv":
        return _csv_records(data, encoding)
    return _xlsx_records(data)


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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _hidden_change(field_name: str, value: str) -> str | None:
    """Why `value` would be changed silently on its way to a target, or None.

    One rule for hostile input: a value is valid as typed or refused with the reason. The number
    and extension grammars would drop a trailing "\r" or fold "++1" into "+1"; such values
    are refused here instead, in every entry point (CSV, XLSX, JSON).
    """
    if "\x00" in value:  # PostgreSQL text cannot hold it either
        return "contains a NUL character"
    if _CONTROL.search(value):
        return "contains a control character (a line break or tab)"
    if field_name == "number":
        number = value.split(",", 1)[0].strip()
        if number.count("+") > 1 or "+" in number[1:]:
            return "a number may hold one + and only at its start"
    return None


class _Validator:
    """Turns raw records into validated rows, collecting errors by line."""

    def __init__(self, campaign: Campaign, report: ImportReport) -> None:
        self.campaign = campaign
        self.region = campaign.default_region
        self.report = report
        self.zones = time_zone_names()

    def row(self, line: int, values: Mapping[str, str], extra: Mapping[str, str]) -> _Row | None:
        report = self.report
        before = report.error_count
        number = extension = derived_zone = ""
        hidden = [
            (name, reason)
            for name in KNOWN_COLUMNS
            if (reason := _hidden_change(name, values.get(name, ""))) is not None
        ]
        for name, reason in hidden:
            report.add_error(line, name, reason)
        refused = {name for name, _ in hidden}
        if not {"number", "extension"} & refused:
            try:
                number, extension, derived_zone = parse_target(
                    values.get("number", ""), values.get("extension", ""), self.region
                )
            except NumberError as exc:
                report.add_error(line, "number", str(exc))
            except DialstringError as exc:
                report.add_error(line, "extension", str(exc))
        dtmf = ""
        if extension:
            try:  # with this campaign's pauses, the digits must still fit what FreeSWITCH takes
                dtmf = self.campaign.dtmf_for(extension)
            except DialstringError as exc:
                report.add_error(line, "extension", f"{exc} once its pauses are rendered")
        external_ref = values.get("external_ref", "").strip()
        if "external_ref" not in refused and len(external_ref) > EXTERNAL_REF_MAX:
            report.add_error(line, "external_ref", f"longer than {EXTERNAL_REF_MAX} characters")
        zone = values.get("timezone", "").strip()
        if zone and "timezone" not in refused and zone not in self.zones:
            report.add_error(line, "timezone", "unknown time zone")
        custom: dict[str, str] = {}
        for name, value in extra.items():
            if "\x00" in value:
                report.add_error(line, name, "contains a NUL character")
            elif len(value) > MAX_VALUE_LENGTH:
                report.add_error(line, name, f"longer than {MAX_VALUE_LENGTH} characters")
            elif value != "":
                custom[name] = value
        if report.error_count != before:
            return None
        played = describe_dtmf(dtmf) if dtmf else "no digits"
        report.add_parsed(ParsedRow(line, number, extension, dtmf, played, external_ref,
                                    custom))
        return _Row(line, number, extension, external_ref, zone or derived_zone, custom)


def _rows_from_records(
    records: Iterator[tuple[int, list[str] | str]], validator: _Validator
) -> Iterator[_Row | None]:
    """Validated rows (None for a rejected or blank one) from header-led records."""
    header: _Header | None = None
    report = validator.report
    for line, cells in records:
        if isinstance(cells, str):  # the record could not be parsed at all
            if header is None:
                raise ImportFileError(f"The header line is not valid CSV ({cells}).")
            report.rows += 1
            report.add_error(line, "row", cells)
            report.reject_text(line, "(not readable as CSV)")
            yield None
            continue
        if header is None:
            header = _parse_header(cells)
            continue
        if not any(cell.strip() for cell in cells):
            # Blank lines and the empty rows spreadsheets leave at the end: not targets, but
            # counted, so nothing is skipped silently (one rule for CSV, XLSX and JSON).
            report.blank_rows += 1
            continue
        report.rows += 1
        if any(cell.strip() for cell in cells[header.width :]):
            report.add_error(line, "row", f"has {len(cells)} fields, the header has {header.width}")
            row = None
        else:
            values = {key: _at(cells, index) for key, index in header.known.items()}
            extra = {name: _at(cells, index).strip() for index, name in header.extra}
            row = validator.row(line, values, extra)
        if row is None:
            report.reject_text(line, _line_text(cells))
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


# --- Entry points ------------------------------------------------------------------------------


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


def read_upload(source: Any) -> bytes:
    """The bytes of an upload after the checks every entry point shares (size, NUL bytes).

    Used by the API, the admin and the command alike; raises ImportFileError naming the limit.
    """
    size = getattr(source, "size", None)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size is not None and size > limit:  # refused before reading it
        raise _too_large(limit)
    data = _read_bytes(source)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ImportFileError("The file is empty.")
    # A text CSV never holds a NUL byte (an XLSX is a zip and may); PostgreSQL text and jsonb
    # refuse NUL, so it is refused here, for the whole file, rather than as a 500 on insert.
    if data[:4] != ZIP_MAGIC and b"\x00" in data:
        raise ImportFileError(
            "The file contains NUL bytes; save it as a UTF-8 CSV or an .xlsx workbook.",
            code="nul_bytes",
        )
    return data


def _too_large(limit: int) -> ImportFileError:
    return ImportFileError(
        f"The file is larger than {limit // MB} MB (IMPORT_MAX_UPLOAD_BYTES); split it, or use "
        "the import_targets command.",
        code="too_large",
    )


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


def _json_fields(item: Any) -> dict[str, str] | str:
    """A bulk JSON row's fields as text, or why the row is not one."""
    if not isinstance(item, Mapping):
        return "not an object with named fields"
    fields = {str(key).strip(): _cell_text(value) for key, value in item.items()}
    if any(len(key) > COLUMN_NAME_MAX or not key.isprintable() for key in fields):
        return "a field name is too long or not printable"
    return fields


def _json_row(line: int, fields: dict[str, str], validator: _Validator) -> _Row | None:
    """One bulk JSON row (not blank) validated, or None with its errors reported."""
    values = {key.lower(): value for key, value in fields.items() if key.lower() in KNOWN_COLUMNS}
    extra = {
        key: value.strip()
        for key, value in fields.items()
        if key and key.lower() not in KNOWN_COLUMNS
    }
    if "number" not in values:
        validator.report.add_error(line, "number", "number is empty")
        return None
    return validator.row(line, values, extra)


def _json_text(item: Any) -> str:
    """A bulk JSON row as text for the report (never raises on odd values)."""
    try:
        return json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(item)


# --- Import jobs: the progress record, and large imports as a Celery task ----------------------


def _finish(job: ImportJob, report: ImportReport, *, staged: list[list[Any]] | None) -> None:
    """Write the finished report into the job (one UPDATE), then drop the uploaded bytes."""
    job.state = ImportState.DONE
    job.rows_read = report.rows
    job.created = report.created
    job.rejected = report.rejected_count
    job.duplicates = report.duplicate_count
    job.do_not_call = report.do_not_call_count
    job.summary = report.to_dict()
    job.report_csv = report.csv_text()
    job.staged = staged
    job.data = None
    job.finished_at = timezone.now()
    job.save()
    report.close()


def _fail(job: ImportJob, exc: ImportFileError) -> None:
    job.state = ImportState.FAILED
    job.error = str(exc)
    job.data = None
    job.finished_at = timezone.now()
    job.save()


def _progress_writer(job: ImportJob, report: ImportReport) -> Progress:
    """A progress callback that writes the counters to the job row after each chunk."""

    def write(done: int, total: int | None) -> None:
        # One UPDATE per chunk of rows, outside the chunk's transaction: the API and the admin
        # see the figures at once.
        ImportJob.objects.filter(pk=job.pk).update(
            rows_read=report.rows,
            rows_total=max(total or 0, done) or None,
            created=report.created,
            rejected=report.rejected_count,
            duplicates=report.duplicate_count,
            do_not_call=report.do_not_call_count,
            updated_at=timezone.now(),
        )

    return write


def run_job(job: ImportJob, data: bytes | None = None) -> ImportJob:
    """Run an import job to its end: its file (or a dry run's staged rows) into its campaign."""
    campaign = Campaign.objects.get(pk=job.campaign_id)
    report = ImportReport(dry_run=job.dry_run)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, updated_at=timezone.now())
    job.state = ImportState.RUNNING
    progress = _progress_writer(job, report)
    if not job.dry_run and job.staged is not None:  # the confirm step of a dry run
        # Start from the preview's figures (confirm_staged put them on the job), so preview
        # and result agree: the result adds what changed since (new duplicates, new blocks).
        report.rows = job.rows_read
        report.rejected_count = job.rejected
        report.duplicate_count = job.duplicates
        import_staged(campaign, job.staged, progress=progress, report=report, actor=job.created_by)
        _finish(job, report, staged=None)
        return job
    raw = bytes(data if data is not None else job.data or b"")
    # A dry run created with staged=[] keeps the rows it would insert (the admin's preview).
    stage: list[list[Any]] | None = [] if job.dry_run and job.staged is not None else None
    try:
        import_targets(
            campaign,
            raw,
            fmt=job.source_format or None,
            filename=job.source_name or None,
            encoding=job.encoding or None,
            progress=progress,
            dry_run=job.dry_run,
            report=report,
            stage=stage,
            actor=job.created_by,
        )
    except ImportFileError as exc:
        report.close()
        _fail(job, exc)
        raise
    _finish(job, report, staged=stage)
    return job


def _enqueue(job_id: int) -> None:
    from celery import current_app

    current_app.send_task(IMPORT_TASK, args=[job_id])


def start_file_import(
    campaign: Campaign,
    source: Any,
    *,
    fmt: str | None = None,
    filename: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    user: Any = None,
    stage: bool = False,
) -> ImportJob:
    """Check an upload and import it: now when small, as a Celery task when large.

    1. The shared upload checks (size, NUL bytes), then the whole-file checks (format, strict
       decoding, row count, a workbook's expanded size): any failure raises ImportFileError
       before a job exists.
    2. A job row records who imported what.
    3. A CSV up to IMPORT_ASYNC_BYTES is imported here and the job is returned done. A larger
       CSV and every XLSX (a small one can expand to half a million rows) are stored in the
       job and `switchboard.import_targets` is published after commit (state `queued`; the
       worker moves it to `running` and `done` or `failed`, writing its progress).
    """
    data = read_upload(source)
    name = filename or getattr(source, "name", None) or ""
    kind = _detect_format(data, fmt, name or None)
    if kind == "xlsx":
        # Only the byte scan here (size, row count): openpyxl never runs in a web request.
        _check_workbook(data)
        total = None
    else:
        records, total = open_records(data, kind, encoding)
        del records  # checked; the import opens the file again (cheap next to validation)
    job = ImportJob.objects.create(
        campaign=campaign,
        created_by=user if getattr(user, "pk", None) else None,
        source_name=os.path.basename(str(name))[:255],
        source_format=kind,
        encoding=(encoding or "").lower(),
        dry_run=dry_run,
        rows_total=total,
        staged=[] if dry_run and stage else None,
    )
    if kind == "xlsx" or len(data) > settings.IMPORT_ASYNC_BYTES:
        job.data = data
        job.save(update_fields=["data"])
        transaction.on_commit(lambda: _enqueue(job.pk))
        return job
    return run_job(job, data)


def record_report(
    campaign: Campaign, report: ImportReport, *, source_name: str, user: Any = None
) -> ImportJob:
    """A finished job for an import that ran elsewhere (bulk JSON), so its full report is kept."""
    job = ImportJob.objects.create(
        campaign=campaign,
        created_by=user if getattr(user, "pk", None) else None,
        source_name=source_name,
        source_format="json",
        dry_run=report.dry_run,
        rows_total=report.rows,
    )
    _finish(job, report, staged=None)
    return job


def confirm_staged(job: ImportJob, *, user: Any = None) -> ImportJob:
    """Store a finished dry run's staged rows as a new job (now, or as a task when large)."""
    staged = job.staged or []
    # Compare-and-set: of two confirms of one preview (a double click), one stores the rows.
    if ImportJob.objects.filter(pk=job.pk, staged__isnull=False).update(staged=None) != 1:
        raise ImportFileError("This preview was imported already.", code="already_imported")
    # The import's history shows the file's real figures: the rows the preview read, the
    # lines it rejected and the duplicates it found (none of which were staged) carry over.
    confirm = ImportJob.objects.create(
        campaign_id=job.campaign_id,
        created_by=user if getattr(user, "pk", None) else None,
        source_name=job.source_name,
        source_format=job.source_format,
        encoding=job.encoding,
        rows_total=job.rows_read or len(staged),
        rows_read=job.rows_read,
        rejected=job.rejected,
        duplicates=job.duplicates,
        staged=staged,
    )
    # A staged row costs about a tenth of a parsed one; the same threshold in rows.
    if len(staged) > settings.IMPORT_ASYNC_BYTES // 400:
        transaction.on_commit(lambda: _enqueue(confirm.pk))
        return confirm
    return run_job(confirm)


def run_queued_job(job_id: int) -> None:
    """The Celery task's body: run a queued job; a file error is recorded on the job."""
    # Compare-and-set: a redelivered message (or a second worker) finds the job taken and stops.
    taken = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, updated_at=timezone.now()
    )
    job = ImportJob.objects.filter(pk=job_id).first()
    if taken != 1 or job is None:
        log.info("import job %s is not queued: nothing to do", job_id)
        return
    try:
        run_job(job)
    except ImportFileError:
        log.info("import job %s failed: the file is unreadable", job_id)
