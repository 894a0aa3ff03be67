"""manage.py sweep_cdrs [DIR ...]: apply the CDRs FreeSWITCH left in its err-log-dir."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from campaigns.services.call_path.cdr import results_from_settings
from campaigns.services.call_path.cdr_sweep import sweep


class Command(BaseCommand):
    help = "Apply and move the CDR files in err-log-dir(s) (default: CDR_ERR_LOG_DIRS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dirs", nargs="*", help="err-log-dirs holding json_cdr/, xml_cdr/")

    def handle(self, *args: Any, **options: Any) -> None:
        dirs = options["dirs"] or settings.CDR_ERR_LOG_DIRS
        if not dirs:
            self.stderr.write("no directory given and CDR_ERR_LOG_DIRS is empty")
            return
        report = sweep(dirs, results_from_settings(), dt.datetime.now(tz=dt.UTC), min_age=0)
        self.stdout.write(
            f"applied {report.applied}, duplicates {report.duplicates}, "
            f"rejected {len(report.rejected)}, failed {len(report.failed)}"
        )
        for name in report.rejected:
            self.stdout.write(f"rejected: {name}")
