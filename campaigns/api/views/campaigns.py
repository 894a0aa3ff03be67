"""Campaigns: CRUD, lifecycle actions (start, pause, resume, cancel) and statistics."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api.exceptions import Conflict
from campaigns.api.filters import CampaignFilter
from campaigns.api.serializers.campaigns import (
    CampaignSerializer,
    RecycleSerializer,
    TransitionSerializer,
)
from campaigns.api.serializers.schemas import CampaignStatsSerializer
from campaigns.api.views.base import ApiViewMixin
from campaigns.models import Campaign, CampaignStatus
from campaigns.services.floor.dispositions import give_new_campaign_dispositions
from campaigns.services.reporting.stats import campaign_stats

# A campaign that may still dial keeps its targets and attempts: cancel it first.
DELETABLE = (CampaignStatus.DRAFT, CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)

CONFLICT = OpenApiResponse(
    inline_serializer(
        "ConflictError", {"detail": serializers.CharField(), "code": serializers.CharField()}
    ),
    description="The campaign's status does not allow this",
)


def _transition_schema(verb: str) -> Any:
    return extend_schema(
        summary=f"{verb.capitalize()} the campaign",
        request=TransitionSerializer,
        responses={200: CampaignSerializer, 409: CONFLICT},
    )


class CampaignViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Outbound campaigns; their status changes only through the lifecycle actions."""

    queryset = Campaign.objects.select_related("trunk", "agent_group")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "status", "status_changed_at"]
    action_verbs = {
        "start": "change",
        "pause": "change",
        "resume": "change",
        "cancel": "change",
        "recycle": "change",
    }

    def perform_create(self, serializer: Any) -> None:
        super().perform_create(serializer)
        give_new_campaign_dispositions(serializer.instance)  # sale, not interested, ...

    def perform_destroy(self, instance: Campaign) -> None:
        if instance.status not in DELETABLE:
            raise Conflict(
                f"A {instance.status} campaign cannot be deleted; cancel it first.",
                code="campaign_active",
            )
        super().perform_destroy(instance)

    def _transition(self, request: Request, name: str) -> Response:
        serializer = TransitionSerializer(
            data=request.data,
            context={"campaign": self.get_object(), "transition": name, "actor": request.user},
        )
        serializer.is_valid(raise_exception=True)
        campaign = serializer.save()
        return Response(CampaignSerializer(campaign, context=self.get_serializer_context()).data)

    @_transition_schema("start")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "start")

    @_transition_schema("pause")
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "pause")

    @_transition_schema("resume")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "resume")

    @_transition_schema("cancel")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "cancel")

    @extend_schema(
        summary="Recycle leads: reset chosen outcomes for another pass",
        description="Targets whose last outcome is one of `outcomes` (any finished outcome but "
        "answered) go back to pending with the campaign's full number of attempts; the "
        "campaign's `passes` counts up, an audit row records who and why, and a completed "
        "campaign reopens.",
        request=RecycleSerializer,
        responses={
            200: inline_serializer(
                "RecycleResult",
                {"reset": serializers.IntegerField(), "campaign": CampaignSerializer()},
            ),
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def recycle(self, request: Request, pk: str | None = None) -> Response:
        serializer = RecycleSerializer(
            data=request.data, context={"campaign": self.get_object(), "actor": request.user}
        )
        serializer.is_valid(raise_exception=True)
        result = serializer.save()
        campaign = CampaignSerializer(result["campaign"], context=self.get_serializer_context())
        return Response({"reset": result["reset"], "campaign": campaign.data})

    @extend_schema(summary="Campaign statistics", responses={200: CampaignStatsSerializer})
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: str | None = None) -> Response:
        return Response(campaign_stats(self.get_object()))
