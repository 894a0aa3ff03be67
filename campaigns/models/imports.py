"""Import jobs: one row per CSV/XLSX/JSON import, its progress, its bounded report, its full report.

A small import runs in the web request and its job is written already done; a large one (above
IMPORT_ASYNC_BYTES) is queued: the uploaded bytes wait in `data` until a worker reads them, and
the API and the admin poll the counters. A dry run may keep its validated rows (`staged`) so
the admin's confirm step stores them without parsing the file a second time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name")
    source_format = models.CharField(max_length=8, blank=True)
    encoding = models.CharField(max_length=16, blank=True)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=ImportState.choices, default=ImportState.QUEUED)
    # Progress: rows read so far (of about rows_total), and what became of them.
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="Dialable targets created")
    rejected = models.PositiveIntegerField(default=0, help_text="Lines with an error")
    duplicates = models.PositiveIntegerField(default=0)
    do_not_call = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the file as a whole could not be read")
    summary = models.JSONField(null=True, blank=True, help_text="The bounded report")
    report_csv = models.TextField(blank=True, help_text="Every reported line, as CSV")
    data = models.BinaryField(null=True, blank=True, help_text="The upload, until it is read")
    staged = models.JSONField(null=True, blank=True, help_text="A dry run's validated rows")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "target import"

    def __str__(self) -> str:
        return f"import {self.pk} into campaign {self.campaign_id} ({self.state})"

    @property
    def percent(self) -> int:
        """Rows read as a percentage of the expected rows (100 once done)."""
        if self.state == ImportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_read * 100 // self.rows_total)
