"""Targets (list, detail, bulk JSON, CSV/XLSX import) and call attempts (read-only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
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


class TargetViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Targets of all campaigns; filter by campaign, state, number, reference, next attempt time."""

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


class CallAttemptViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Every originate placed, with its outcome; filter by campaign, outcome, time, node, agent."""

    queryset = CallAttempt.objects.all()
    serializer_class = CallAttemptSerializer
    filterset_class = CallAttemptFilter
    search_fields = ["=hangup_cause", "=node"]
    ordering_fields = ["id", "created_at", "ended_at", "billsec"]
