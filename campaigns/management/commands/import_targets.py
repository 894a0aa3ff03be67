"""manage.py import_targets <campaign id or name> <file>: import a CSV or XLSX, with progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from campaigns.errors import ImportFileError
from campaigns.imports import import_targets
from campaigns.models import Campaign

SHOWN = 20  # report lines printed per kind; --report-csv writes them all


class Command(BaseCommand):
    help = "Import targets into a campaign from a CSV or XLSX file; bad lines are reported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", help="Campaign id or exact name")
        parser.add_argument("file", type=Path, help="A .csv or .xlsx file")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="Override the file type")
        parser.add_argument("--dry-run", action="store_true", help="Check the file, store nothing")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")
        parser.add_argument(
            "--report-csv", type=Path, help="Write every reported line to this CSV file"
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = self._campaign(options["campaign"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        # The raw stream under Django's OutputWrapper: the wrapper would end each of tqdm's
        # "\r" redraws with a newline.
        bar = tqdm(
            unit="rows", disable=options["no_progress"], file=self.stderr._out, desc=path.name
        )

        def progress(done: int, total: int | None) -> None:
            if total and bar.total != total:
                bar.total = max(total, done)
            bar.update(done - bar.n)

        try:
            report = import_targets(
                campaign,
                path,
                fmt=options["format"],
                filename=path.name,
                progress=progress,
                dry_run=options["dry_run"],
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
            if options["report_csv"]:
                options["report_csv"].write_text(report.csv_text())
            return
        verb = "would be created" if report.dry_run else "created"
        self.stdout.write(
            f"{campaign.name}: {report.rows} rows read, {report.created} targets {verb}, "
            f"{report.rejected_count} lines rejected, {report.duplicate_count} duplicates, "
            f"{report.do_not_call_count} on the do-not-call list"
        )
        for error in report.errors[:SHOWN]:
            self.stdout.write(f"  line {error.line}: {error.field}: {error.reason}")
        for dup in report.duplicates[:SHOWN]:
            suffix = f",{dup.extension}" if dup.extension else ""
            self.stdout.write(f"  line {dup.line}: duplicate {dup.number}{suffix}")
        for row in report.do_not_call[:SHOWN]:
            self.stdout.write(f"  line {row.line}: do not call {row.number}")
        shown = sum(
            min(len(items), SHOWN)
            for items in (report.errors, report.duplicates, report.do_not_call)
        )
        hidden = report.error_count + report.duplicate_count + report.do_not_call_count - shown
        if options["report_csv"]:
            options["report_csv"].write_text(report.csv_text())
        if hidden:
            self.stdout.write(f"  ... and {hidden} more (--report-csv FILE writes every entry)")
        if report.notice:
            self.stdout.write(report.notice)

    def _campaign(self, key: str) -> Campaign:
        """Find the campaign by id, else by exact name (which must be unique)."""
        if key.isdigit():
            found = Campaign.objects.filter(pk=int(key)).first()
            if found:
                return found
        matches = list(Campaign.objects.filter(name=key)[:2])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CommandError(f'Several campaigns are named "{key}"; use the id.')
        raise CommandError(f'No campaign with id or name "{key}".')
