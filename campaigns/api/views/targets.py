"""Targets (list, detail, bulk JSON, CSV/XLSX import) and call attempts (read-only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api.filters import CallAttemptFilter, TargetFilter
from campaigns.api.permissions import IsSupervisorOrReadOnly, MayExport
from campaigns.api.serializers.attempts import (
    CallAttemptSerializer,
    DispositionSerializer,
    SetDispositionSerializer,
)
from campaigns.api.serializers.targets import (
    BulkTargetsSerializer,
    ImportJobSerializer,
    ImportReportSerializer,
    TargetImportSerializer,
    TargetSerializer,
)
from campaigns.api.views.base import ApiViewMixin
from campaigns.models import CallAttempt, Disposition, ImportJob, ImportState, Target
from campaigns.services.floor.dispositions import DispositionError, set_disposition
from campaigns.services.reporting import exports


class FileRenderer(renderers.BaseRenderer):
    """Lets a client that asks for text/csv or XLSX reach the export (which streams its own
    response); an error body it would get is rendered as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        return data if isinstance(data, bytes) else renderers.JSONRenderer().render(data)


def _export_schema(what: str) -> Any:
    return extend_schema(
        summary=f"Export the {what} as CSV or XLSX",
        description=f"Every {what.rstrip('s')} matching the list endpoint's filters (no "
        "pagination), streamed: the CSV starts at once; cells a spreadsheet would run as a "
        "formula get a leading '. Times are UTC, ISO 8601.",
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(exports.FORMATS))
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )


class ExportMixin:
    """`GET <list>/export/csv/` and `.../xlsx/`: the filtered list as a streamed file."""

    export_kind = ""

    @action(
        detail=False,
        methods=["get"],
        url_path=r"export/(?P<fmt>csv|xlsx)",
        renderer_classes=[renderers.JSONRenderer, FileRenderer],
        pagination_class=None,
        permission_classes=[IsSupervisorOrReadOnly, MayExport],
    )
    def export(self, request: Request, fmt: str = "csv") -> Any:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        return exports.streaming_response(self.export_kind, fmt, queryset=queryset)


def report_response(job: ImportJob) -> Response:
    """202 with the job while it is queued; else 400 when rows were rejected and none was good,
    201 when rows were created, 200 otherwise."""
    if job.state != ImportState.DONE:
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
    body = ImportReportSerializer(job).data
    if body["counts"]["errors"] and not body["created"]:
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if body["created"] and not body["dry_run"]:
        return Response(body, status=status.HTTP_201_CREATED)
    # A dry run, or nothing new (every row a duplicate or on the do-not-call list).
    return Response(body, status=status.HTTP_200_OK)


REPORT_RESPONSES = {
    201: ImportReportSerializer,
    200: ImportReportSerializer,
    # Either the import report (every row rejected) or field errors (an unknown campaign, an
    # unreadable file): one schema cannot say both without oneOf ambiguity, so: an object.
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="The ImportReport when every row was rejected, or field errors "
        '(e.g. {"file": ["The file is larger than 20 MB ..."]})',
    ),
}
UPLOAD_RESPONSES = {
    **REPORT_RESPONSES,
    202: OpenApiResponse(ImportJobSerializer, description="Large file: queued as a job"),
}


@extend_schema_view(export=_export_schema("targets"))
class TargetViewSet(ExportMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Targets of all campaigns; filter by campaign, state, number, reference, next attempt time."""

    export_kind = "targets"

    queryset = Target.objects.all()
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    # Exact matches: a substring search would scan every target of a million-row campaign.
    search_fields = ["=number", "=external_ref"]
    ordering_fields = ["id", "next_attempt_at", "created_at", "attempts"]
    action_verbs = {"bulk": "add", "upload": "add"}

    @extend_schema(
        summary="Create targets from a JSON list",
        description="Each row is checked like a line of an import file (line = index + 1); "
        "good rows are created even when others are rejected.",
        request=BulkTargetsSerializer,
        responses=REPORT_RESPONSES,
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        serializer = BulkTargetsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return report_response(serializer.save(user=request.user))

    @extend_schema(
        summary="Import targets from a CSV or XLSX file",
        description="Columns: number, extension (optional), external_ref, timezone; any other "
        "column goes to custom_data. Rejected rows are reported by file line (header = 1). "
        "A file larger than IMPORT_ASYNC_BYTES is imported by a worker: the answer is 202 "
        "with the job; poll /api/imports/<id>/ for its progress and report.",
        request={"multipart/form-data": TargetImportSerializer},
        responses=UPLOAD_RESPONSES,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def upload(self, request: Request) -> Response:
        serializer = TargetImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return report_response(serializer.save(user=request.user))


@extend_schema_view(export=_export_schema("call attempts"))
class CallAttemptViewSet(ExportMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Every originate placed, with its outcome; filter by campaign, outcome, time, node, agent."""

    export_kind = "attempts"

    queryset = CallAttempt.objects.all()
    serializer_class = CallAttemptSerializer
    filterset_class = CallAttemptFilter
    search_fields = ["=hangup_cause", "=node"]
    ordering_fields = ["id", "created_at", "ended_at", "billsec"]
    action_verbs = {"disposition": "change"}

    def get_permissions(self) -> list[Any]:
        # The agent who took the call may dispose it; anyone else needs the supervisor right.
        if getattr(self, "action", None) == "disposition":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Set the attempt's disposition (and notes; a time for a call back)",
        request=SetDispositionSerializer,
        responses={200: CallAttemptSerializer},
    )
    @action(detail=True, methods=["post"])
    def disposition(self, request: Request, pk: str | None = None) -> Response:
        attempt = self.get_object()
        user = request.user
        own = attempt.agent_id is not None and getattr(
            getattr(user, "agent", None), "id", None) == attempt.agent_id
        if not (own or user.is_staff or user.has_perm("campaigns.change_callattempt")):
            raise PermissionDenied("Only the attempt's agent or a supervisor may dispose it.")
        serializer = SetDispositionSerializer(data=request.data, context={"attempt": attempt})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            set_disposition(attempt, data["disposition_obj"], notes=data["notes"],
                            callback_at=data["callback_at"], same_agent=data["same_agent"],
                            actor=user, now=timezone.now())
        except DispositionError as exc:
            field = "callback_at" if exc.code.startswith("callback") else "disposition"
            raise ValidationError({field: [str(exc)]}) from None
        attempt.refresh_from_db()
        return Response(CallAttemptSerializer(attempt).data)


class DispositionViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Each campaign's dispositions (sale, not interested, call back, do not call, ...)."""

    queryset = Disposition.objects.all()
    serializer_class = DispositionSerializer
    filterset_fields = ["campaign", "kind"]
    ordering_fields = ["campaign", "position", "code"]


class ImportJobViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Target imports: progress (rows read, imported, rejected), bounded report, full CSV."""

    queryset = ImportJob.objects.defer("report_csv", "data", "staged")
    serializer_class = ImportJobSerializer
    filterset_fields = ["campaign", "state", "dry_run"]
    ordering_fields = ["id", "created_at"]
    search_fields: list[str] = []

    @extend_schema(
        summary="The full report of a finished import, as CSV",
        description="One line per reported entry, in file-line order: "
        "line,kind,field,number,extension,reason (kind: error, duplicate, do_not_call).",
        responses={(200, "text/csv"): OpenApiTypes.STR, 409: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"], url_path="report")
    def report(self, request: Request, pk: str | None = None) -> Any:
        job = self.get_object()
        if job.summary is None:
            return Response(
                {"detail": "The import has not finished.", "code": "not_finished"},
                status=status.HTTP_409_CONFLICT,
            )
        text = ImportJob.objects.values_list("report_csv", flat=True).get(pk=job.pk)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
        return response
