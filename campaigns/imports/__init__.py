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

Hostile files (docs/campaigns.md, "Limits"): an upload is refused as a whole, with the limit
named, when it is larger than IMPORT_MAX_UPLOAD_BYTES, holds NUL bytes (CSV), is not strictly
decodable in its encoding (UTF-8 unless told; the undecodable lines are listed by number,
nothing is re-decoded behind the user's back), holds more than IMPORT_MAX_ROWS rows, or is a
workbook whose XML expands past IMPORT_MAX_SHEET_BYTES: rows and sizes are checked before
anything is parsed.

Reports are bounded: counts of every kind, the first IMPORT_REPORT_ENTRIES entries of each
(in line order), and every entry in a CSV (`ImportReport.csv_text()`) that the API and the
admin offer for download. Imports larger than IMPORT_ASYNC_BYTES run as a Celery task with a
progress record (`ImportJob`); see `start_file_import`. The package holds one module per job:
`reading` (the upload and its records), `report`, `validation`, `storage` (the import itself)
and `jobs` (the progress record; large imports are queued through `controls.request_import`).

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

from campaigns.imports.jobs import (
    confirm_staged,
    record_report,
    run_job,
    run_queued_job,
    start_file_import,
)
from campaigns.imports.reading import ENCODINGS, read_upload
from campaigns.imports.report import DoNotCallRow, Duplicate, ImportReport, RowError
from campaigns.imports.storage import import_rows, import_staged, import_targets

__all__ = [
    "ENCODINGS",
    "DoNotCallRow",
    "Duplicate",
    "ImportReport",
    "RowError",
    "confirm_staged",
    "import_rows",
    "import_staged",
    "import_targets",
    "read_upload",
    "record_report",
    "run_job",
    "run_queued_job",
    "start_file_import",
]
