"""Reading an upload: the shared checks, the file's format and encoding, its records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from campaigns.errors import ImportFileError

ZIP_MAGIC = b"PK\x03\x04"
# encoding parameter -> codec; decoding is strict in every one of them.
ENCODINGS = {"utf-8": "utf-8-sig", "cp1252": "cp1252", "iso-8859-1": "iso-8859-1"}
BAD_LINES_SHOWN = 20
MB = 1024 * 1024


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
