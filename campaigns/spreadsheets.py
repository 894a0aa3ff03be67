# ruff: noqa: E501 (the package parts are fixed XML strings, clearer whole)
"""Streaming CSV and XLSX writers: rows in, bytes out in chunks, bounded memory, no Django.

One writer for every export (the CDR and targets in `services/exports.py`, the per-agent
statistics): what rows and columns is the caller's business, the file format is this module's.

Formula injection: in a CSV, a text cell a spreadsheet would run as a formula (it starts with
`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so `=HYPERLINK(...)` from an
external reference stays text; a cell that is only a signed number (`+14155550100`, `-3`) is left
as it is (no formula hides in digits, and E.164 numbers stay readable). In an XLSX every text
cell is an inline string cell, which a spreadsheet never evaluates, so the text stays exact;
numbers are number cells and datetimes date cells (in UTC, formatted to the second).

The XLSX is a minimal SpreadsheetML package (one sheet) written through zipfile onto an
unseekable sink, so each entry carries a data descriptor and the bytes leave as the rows are
written: the first chunk goes out before the first row is read, memory stays bounded (the
deflate window and one chunk of rows). The trade-offs: no shared strings table (inline strings,
which every spreadsheet reads, cost more bytes before compression), and no ZIP64 (a forced ZIP64 entry gets a
ZIP64 local header that Python's central directory omits for a small file, which XlsxWriter's
documentation says can make Excel offer to repair it), so the sheet stops before 4 GiB uncompressed, as it stops at Excel's 1,048,576 rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the header row included
CHUNK_ROWS = 500
_SIGNED_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
# XML 1.0 cannot hold these at all (not even escaped): a file holding one does not open.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Room left under the 4 GiB a zip entry without ZIP64 may hold, for the closing tags.
_SHEET_MAX_BYTES = 0xFFFFFFFF - 1024
_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of a spreadsheet's dates (1900 system)
_DATE_STYLE = 1  # the cellXfs entry of _STYLES with the date-time format


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading `'`; signed numbers and
    non-text values pass unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def stream_csv(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """CSV, UTF-8 with a BOM (Excel then reads accents right), CRLF, a chunk per 500 rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


class _Sink(io.RawIOBase):
    """An unseekable file that keeps what was written until it is drained."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _column(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _serial(value: dt.datetime) -> float:
    """A time as a spreadsheet's date serial (days since 1899-12-30), in UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return (value - _EPOCH) / dt.timedelta(days=1)


def _cell(ref: str, value: Any) -> str:
    """One cell: a number cell for a finite int or float, a date cell (UTC, shown
    `yyyy-mm-dd hh:mm:ss`) for a datetime, an inline string for anything else."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{_serial(value)!r}</v></c>'
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    text = escape(_NOT_XML.sub("\ufffd", text), {"\r": "&#13;"})  # a bare CR would read as LF
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Two cell formats: 0 the default, 1 (_DATE_STYLE) a date and time to the second.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_OPEN = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_CLOSE = b"</sheetData></worksheet>"
# Characters a sheet name may not hold in Excel.
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _workbook(sheet: str) -> str:
    name = _NOT_IN_SHEET_NAME.sub(" ", _NOT_XML.sub("", sheet))[:31].strip() or "Sheet1"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def stream_xlsx(
    rows: Iterable[Iterable[Any]], sheet: str = "Sheet1", *, max_rows: int = XLSX_MAX_ROWS
) -> Iterator[bytes]:
    """An .xlsx workbook of one sheet, streamed as it is written (first bytes at once)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _workbook(sheet))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        yield sink.drain()  # before the first row is read: the download starts at once
        with book.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(_SHEET_OPEN)
            size = len(_SHEET_OPEN)
            letters: list[str] = []  # column letters, worked out once per column
            for number, row in enumerate(rows, start=1):
                if number > max_rows:
                    break
                values = list(row)
                while len(letters) < len(values):
                    letters.append(_column(len(letters)))
                cells = "".join(
                    _cell(f"{letter}{number}", value)
                    for letter, value in zip(letters, values, strict=False)
                )
                data = f'<row r="{number}">{cells}</row>'.encode()
                size += len(data)
                if size > _SHEET_MAX_BYTES:
                    break
                part.write(data)
                if number % CHUNK_ROWS == 0 and (chunk := sink.drain()):
                    yield chunk
            part.write(_SHEET_CLOSE)
    yield sink.drain()
