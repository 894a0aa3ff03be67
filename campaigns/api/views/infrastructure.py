"""Trunks, nodes, agents, agent groups and do-not-call numbers: plain CRUD."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api.filters import (
    AgentFilter,
    AgentGroupFilter,
    DoNotCallFilter,
    NodeFilter,
    TrunkFilter,
)
from campaigns.api.serializers.agents import (
    AgentGroupSerializer,
    AgentSerializer,
    IntentSerializer,
)
from campaigns.api.serializers.donotcall import DoNotCallSerializer
from campaigns.api.serializers.infrastructure import NodeSerializer, TrunkSerializer
from campaigns.api.views.base import ApiViewMixin
from campaigns.models import Agent, AgentGroup, DoNotCall, Node, Trunk


class TrunkViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Carrier gateways, dialled as sofia/gateway/<gateway>/<prefix><number>."""

    queryset = Trunk.objects.all()
    serializer_class = TrunkSerializer
    filterset_class = TrunkFilter
    search_fields = ["name", "gateway"]
    ordering_fields = ["name", "created_at"]


class NodeViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """FreeSWITCH nodes; the ESL password can be set but is never returned."""

    queryset = Node.objects.all()
    serializer_class = NodeSerializer
    filterset_class = NodeFilter
    search_fields = ["name", "esl_host"]
    ordering_fields = ["name", "created_at"]


class AgentGroupViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Groups of agents; a campaign connects its calls to one group."""

    queryset = AgentGroup.objects.all()
    serializer_class = AgentGroupSerializer
    filterset_class = AgentGroupFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]


class AgentViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Agents, each with its live presence (registered, intent, activity)."""

    queryset = Agent.objects.select_related("group")
    serializer_class = AgentSerializer
    filterset_class = AgentFilter
    search_fields = ["name", "sip_user", "sip_domain"]
    ordering_fields = ["name", "sip_user", "created_at"]
    action_verbs = {"intent": "change"}

    @extend_schema(
        summary="Set the agent's intent (available, paused with a reason, logged out)",
        request=IntentSerializer,
        responses={200: AgentSerializer},
    )
    @action(detail=True, methods=["post"])
    def intent(self, request: Request, pk: str | None = None) -> Response:
        agent = self.get_object()
        serializer = IntentSerializer(
            data=request.data, context={"agent": agent, "actor": request.user.get_username()}
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(AgentSerializer(agent, context=self.get_serializer_context()).data)


class DoNotCallViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Numbers never to dial, normalised to E.164."""

    queryset = DoNotCall.objects.all()
    serializer_class = DoNotCallSerializer
    filterset_class = DoNotCallFilter
    search_fields = ["number", "reason"]
    ordering_fields = ["number", "created_at"]
