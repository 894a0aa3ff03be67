"""What an import did: counts, the first entries of each kind, every entry as CSV."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings

from campaigns.imports.reading import MB

RAW_TEXT_MAX = 500  # characters of a rejected line kept for the preview


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
