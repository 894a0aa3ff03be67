"""Targets (list, detail, bulk JSON, CSV/XLSX import) and call attempts (read-only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api.filters import CallAttemptFilter, TargetFilter
from campaigns.api.serializers.attempts import CallAttemptSerializer
from campaigns.api.serializers.targets import (
    BulkTargetsSerializer,
    ImportReportSerializer,
    TargetImportSerializer,
    TargetSerializer,
)
from campaigns.api.views.base import ApiViewMixin
from campaigns.models import CallAttempt, Target
from campaigns.services import exports


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
    )
    def export(self, request: Request, fmt: str = "csv") -> Any:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        return exports.streaming_response(self.export_kind, fmt, queryset=queryset)


def report_response(report: Any) -> Response:
    """400 when rows were rejected and none was good, 201 when rows were created, else 200."""
    body = ImportReportSerializer(report).data
    if body["errors"] and not body["created"]:
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if body["created"] and not body["dry_run"]:
        return Response(body, status=status.HTTP_201_CREATED)
    # A dry run, or nothing new (every row a duplicate or on the do-not-call list).
    return Response(body, status=status.HTTP_200_OK)


REPORT_RESPONSES = {
    201: ImportReportSerializer,
    200: ImportReportSerializer,
    400: ImportReportSerializer,
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
        serializer = BulkTargetsSerializer(data=request.data, context={"actor": request.user})
        serializer.is_valid(raise_exception=True)
        return report_response(serializer.save())

    @extend_schema(
        summary="Import targets from a CSV or XLSX file",
        description="Columns: number, extension (optional), external_ref, timezone; any other "
        "column goes to custom_data. Rejected rows are reported by file line (header = 1).",
        request={"multipart/form-data": TargetImportSerializer},
        responses=REPORT_RESPONSES,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def upload(self, request: Request) -> Response:
        serializer = TargetImportSerializer(data=request.data, context={"actor": request.user})
        serializer.is_valid(raise_exception=True)
        return report_response(serializer.save())


@extend_schema_view(export=_export_schema("call attempts"))
class CallAttemptViewSet(ExportMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Every originate placed, with its outcome; filter by campaign, outcome, time, node, agent."""

    export_kind = "attempts"

    queryset = CallAttempt.objects.all()
    serializer_class = CallAttemptSerializer
    filterset_class = CallAttemptFilter
    search_fields = ["=hangup_cause", "=node"]
    ordering_fields = ["id", "created_at", "ended_at", "billsec"]
