"""Turning a file's records (or bulk JSON rows) into validated rows, errors by line."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from campaigns.errors import ImportFileError
from campaigns.imports.reading import _cell_text
from campaigns.imports.report import ImportReport, ParsedRow
from campaigns.models import Campaign
from campaigns.validators import (
    NumberError,
    parse_target,
    time_zone_names,
)
from telephony.dialstring import DialstringError, describe_dtmf

MAX_VALUE_LENGTH = 1000
EXTERNAL_REF_MAX = 100
COLUMN_NAME_MAX = 100
KNOWN_COLUMNS = ("number", "extension", "external_ref", "timezone")


class _Row(NamedTuple):
    line: int
    number: str
    extension: str
    external_ref: str
    timezone: str
    custom_data: dict[str, str]


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
