"""Targets: read, and created in bulk (JSON) or by upload (CSV/XLSX) through the import service."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.errors import ImportFileError
from campaigns.models import Campaign, Target
from campaigns.services.importing import import_rows, import_targets

MAX_BULK_ROWS = 10_000
# Big enough for 100,000 rows of CSV; uploads past it belong in the manage.py command.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ROW_VALUE = serializers.CharField(
    allow_blank=True, allow_null=True, max_length=1000, trim_whitespace=False
)
COLUMN_MAX_LENGTH = 100
ZIP_MAGIC = b"PK\x03\x04"


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


class ParsedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    number = serializers.CharField(help_text="E.164")
    extension = serializers.CharField(help_text="As stored: commas are the campaign's pause")
    dtmf = serializers.CharField(help_text="What FreeSWITCH is sent after answer")
    played = serializers.CharField(help_text="The DTMF in words")


class RejectedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    text = serializers.CharField(help_text="The rejected line as the file or request had it")


class ImportReportSerializer(serializers.Serializer):
    """What an import did: rows created, rejected rows by line, duplicates, do-not-call numbers."""

    created = serializers.IntegerField(help_text="Dialable targets created")
    rows = serializers.IntegerField(help_text="Data rows read")
    dry_run = serializers.BooleanField()
    errors = RowErrorSerializer(many=True)
    duplicates = DuplicateSerializer(many=True)
    do_not_call = DoNotCallRowSerializer(many=True)
    parsed = ParsedRowSerializer(many=True, help_text="What the first 200 good rows parsed to")
    rejected = RejectedLineSerializer(many=True, help_text="The text of the first 200 bad lines")
    notice = serializers.CharField(
        help_text="What happens to the campaign: a completed one reopens, or why it will not"
    )


class BulkTargetsSerializer(serializers.Serializer):
    """A JSON list of target rows for one campaign; each row is checked like a line of a CSV."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    targets = serializers.ListField(
        child=serializers.DictField(child=ROW_VALUE, allow_empty=False),
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
        """Import the rows; good ones are kept even when others are rejected."""
        data = self.validated_data
        return import_rows(
            data["campaign"],
            data["targets"],
            dry_run=data["dry_run"],
            actor=self.context.get("actor"),
        )


class TargetImportSerializer(serializers.Serializer):
    """A CSV or XLSX upload for one campaign."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    file = serializers.FileField(allow_empty_file=False)
    format = serializers.ChoiceField(
        choices=["csv", "xlsx"], required=False, help_text="Guessed from the file name when absent"
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report, store nothing")

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
                "use the import_targets command."
            )
        head = value.read(4)
        value.seek(0)
        # A text CSV never holds a NUL byte (an XLSX is a zip and may); PostgreSQL text and jsonb
        # refuse NUL, so it is refused here, for the whole file, rather than as a 500 on insert.
        if head != ZIP_MAGIC and any(b"\x00" in chunk for chunk in value.chunks()):
            raise serializers.ValidationError(
                "The file contains NUL bytes; save it as a UTF-8 CSV or an .xlsx workbook."
            )
        value.seek(0)
        return value

    def save(self, **kwargs: Any) -> Any:
        """Import the file; good rows are kept even when others are rejected."""
        data = self.validated_data
        upload = data["file"]
        try:
            return import_targets(
                data["campaign"],
                upload,
                fmt=data.get("format"),
                filename=upload.name,
                dry_run=data["dry_run"],
                actor=self.context.get("actor"),
            )
        except ImportFileError as exc:  # the file as a whole is unreadable: no report to give
            raise serializers.ValidationError({"file": [str(exc)]}, code=exc.code) from exc
