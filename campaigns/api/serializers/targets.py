"""Targets: read, and created in bulk (JSON) or by upload (CSV/XLSX) through the import service."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from campaigns.errors import ImportFileError
from campaigns.imports import (
    ENCODINGS,
    import_rows,
    read_upload,
    record_report,
    start_file_import,
)
from campaigns.imports.validation import KNOWN_COLUMNS
from campaigns.models import Campaign, ImportJob, Target

MAX_BULK_ROWS = 10_000
ROW_VALUE = serializers.CharField(
    allow_blank=True, allow_null=True, max_length=1000, trim_whitespace=False
)
COLUMN_MAX_LENGTH = 100


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = [
            "id",
            "campaign",
            "number",
            "extension",
            "external_ref",
            "custom_data",
            "timezone",
            "state",
            "attempts",
            "next_attempt_at",
            "last_outcome",
            "last_hangup_cause",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField()
    reason = serializers.CharField()


class DuplicateSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    number = serializers.CharField()
    extension = serializers.CharField()


class DoNotCallRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    number = serializers.CharField()


class ReportCountsSerializer(serializers.Serializer):
    errors = serializers.IntegerField(help_text="Errors (a line may have several)")
    rejected_lines = serializers.IntegerField(help_text="Lines with at least one error")
    duplicates = serializers.IntegerField()
    do_not_call = serializers.IntegerField()
    blank_rows = serializers.IntegerField(help_text="Rows with no value at all, skipped")


def report_url(job_id: int) -> str:
    return reverse("api:import-report", args=[job_id])


class ParsedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    number = serializers.CharField(help_text="E.164")
    extension = serializers.CharField(help_text="As stored: commas are the campaign's pause")
    dtmf = serializers.CharField(help_text="What FreeSWITCH is sent after answer")
    played = serializers.CharField(help_text="The DTMF in words")
    external_ref = serializers.CharField(help_text="The row's reference (your CRM id)")
    custom_data = serializers.DictField(
        child=serializers.CharField(), allow_null=True,
        help_text="The row's other columns, kept as the target's custom data")


class RejectedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    text = serializers.CharField(help_text="The rejected line as the file or request had it")


class ImportReportSerializer(serializers.Serializer):
    """What an import did: counts, and the first entries of each kind (the rest in the CSV)."""

    created = serializers.IntegerField(help_text="Dialable targets created")
    rows = serializers.IntegerField(help_text="Data rows read")
    dry_run = serializers.BooleanField()
    counts = ReportCountsSerializer()
    truncated = serializers.BooleanField(
        help_text="True when the lists below hold only the first IMPORT_REPORT_ENTRIES entries "
        "of a kind; the full report is at report_url"
    )
    errors = RowErrorSerializer(many=True)
    duplicates = DuplicateSerializer(many=True)
    do_not_call = DoNotCallRowSerializer(many=True)
    parsed = ParsedRowSerializer(
        many=True, help_text="What the first IMPORT_REPORT_ENTRIES good rows parsed to"
    )
    rejected = RejectedLineSerializer(
        many=True, help_text="The text of the first IMPORT_REPORT_ENTRIES rejected lines"
    )
    notice = serializers.CharField(
        help_text="What happens to the campaign: a completed one reopens, or why it will not"
    )
    import_id = serializers.IntegerField(help_text="The import job that keeps this report")
    report_url = serializers.CharField(help_text="The full report as CSV")

    def to_representation(self, instance: Any) -> Any:
        job: ImportJob = instance
        body = dict(job.summary or {})
        body.update(import_id=job.pk, report_url=report_url(job.pk))
        return super().to_representation(body)


class ImportJobSerializer(serializers.ModelSerializer):
    """An import's progress record; `report` is the bounded report once it is done."""

    percent = serializers.IntegerField(read_only=True, help_text="Rows read, in percent")
    report = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "campaign",
            "state",
            "dry_run",
            "source_name",
            "rows_total",
            "rows_read",
            "created",
            "rejected",
            "duplicates",
            "do_not_call",
            "percent",
            "error",
            "report",
            "report_url",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_report(self, job: ImportJob) -> dict[str, Any] | None:
        """The bounded report (counts, first entries of each kind) once the job is done."""
        return job.summary

    def get_report_url(self, job: ImportJob) -> str | None:
        """The full report as CSV, once the job is done."""
        return report_url(job.pk) if job.summary is not None else None


class BulkRowField(serializers.DictField):
    """One bulk row: column names to text values, plus an optional `custom_data` object whose
    keys become custom columns as if they were columns of the row."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and isinstance(data.get("custom_data"), dict):
            custom = data["custom_data"]
            row = {key: value for key, value in data.items() if key != "custom_data"}
            lowered = {str(key).strip().lower() for key in row} | set(KNOWN_COLUMNS)
            clash = sorted(str(key) for key in custom if str(key).strip().lower() in lowered)
            if clash:
                raise serializers.ValidationError(
                    f"custom_data repeats a column of the row: {', '.join(clash)[:200]}")
            bad = [key for key, value in custom.items()
                   if isinstance(value, (dict, list))]
            if bad:
                raise serializers.ValidationError(
                    "custom_data values are text, numbers, booleans or null, not objects or "
                    "lists.")
            data = {**row, **{key: str(value).lower() if isinstance(value, bool) else value
                              for key, value in custom.items()}}
        return super().to_internal_value(data)


class BulkTargetsSerializer(serializers.Serializer):
    """A JSON list of target rows for one campaign; each row is checked like a line of a CSV."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    targets = serializers.ListField(
        child=BulkRowField(child=ROW_VALUE, allow_empty=False),
        allow_empty=False,
        max_length=MAX_BULK_ROWS,
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report, store nothing")

    def validate_targets(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Column names become custom_data keys: bounded, printable, no NUL (jsonb refuses it)."""
        message = f"Column names must be 1 to {COLUMN_MAX_LENGTH} printable characters."
        for index, row in enumerate(rows):
            for key in row:
                if not key.strip() or len(key) > COLUMN_MAX_LENGTH or not key.isprintable():
                    raise serializers.ValidationError({index: [message]})
        return rows

    def save(self, **kwargs: Any) -> Any:
        """Import the rows (good ones are kept even when others are rejected); return its job."""
        data = self.validated_data
        report = import_rows(
            data["campaign"], data["targets"], dry_run=data["dry_run"], actor=kwargs.get("user")
        )
        return record_report(
            data["campaign"], report, source_name="bulk JSON", user=kwargs.get("user")
        )


class TargetImportSerializer(serializers.Serializer):
    """A CSV or XLSX upload for one campaign."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    file = serializers.FileField(allow_empty_file=False)
    format = serializers.ChoiceField(
        choices=["csv", "xlsx"], required=False, help_text="Guessed from the file name when absent"
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report, store nothing")

    encoding = serializers.ChoiceField(
        choices=list(ENCODINGS),
        required=False,
        help_text="A CSV's text encoding (default utf-8); decoding is strict: undecodable lines "
        "are reported by number, never re-decoded",
    )

    def validate_file(self, value: Any) -> Any:
        """The checks every entry point shares (size, NUL bytes): campaigns.imports."""
        try:
            read_upload(value)
        except ImportFileError as exc:
            raise serializers.ValidationError(str(exc), code=exc.code) from exc
        value.seek(0)
        return value

    def save(self, **kwargs: Any) -> Any:
        """Import the file (or queue it when large); return its job."""
        data = self.validated_data
        upload = data["file"]
        try:
            return start_file_import(
                data["campaign"],
                upload,
                fmt=data.get("format"),
                filename=upload.name,
                encoding=data.get("encoding"),
                dry_run=data["dry_run"],
                user=kwargs.get("user"),
            )
        except ImportFileError as exc:  # the file as a whole is unreadable: no report to give
            raise serializers.ValidationError({"file": [str(exc)]}, code=exc.code) from exc
