"""Import jobs: the progress record, and large imports as a Celery task."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.errors import ImportFileError
from campaigns.imports.reading import _check_workbook, _detect_format, open_records, read_upload
from campaigns.imports.report import ImportReport
from campaigns.imports.storage import Progress, import_staged, import_targets
from campaigns.models import Campaign, ImportJob, ImportState
from campaigns.services import controls

log = logging.getLogger(__name__)


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
       CSV and every XLSX (a small one can expand to half a million rows) are stored in the job
       and queued for a worker after commit (`controls.request_import`; state `queued`; the
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
        transaction.on_commit(lambda: controls.request_import(job.pk))
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
        transaction.on_commit(lambda: controls.request_import(confirm.pk))
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
