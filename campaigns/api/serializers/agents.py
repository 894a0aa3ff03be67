"""Agents (with their live presence) and agent groups."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.api.fields import SipDomainField, SipUserField
from campaigns.api.presence import page_presence, presence_of
from campaigns.api.serializers.schemas import PresenceSerializer
from campaigns.models import Agent, AgentGroup
from campaigns.services.floor.presence import InvalidIntent, set_intent
from telephony.presence import INTENTS


class AgentGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentGroup
        fields = ["id", "name", "description", "created_at"]
        read_only_fields = ["created_at"]


class AgentListSerializer(serializers.ListSerializer):
    """Reads the presence of a whole page of agents in one call, not one per agent."""

    def to_representation(self, data: Any) -> list[Any]:
        agents = list(data.all() if hasattr(data, "all") else data)
        self.context["presence"] = page_presence(agents)
        return super().to_representation(agents)


class AgentSerializer(serializers.ModelSerializer):
    sip_user = SipUserField(max_length=64)
    sip_domain = SipDomainField(max_length=253)
    presence = serializers.SerializerMethodField()

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "sip_user",
            "sip_domain",
            "group",
            "enabled",
            "wrapup_seconds",
            "reject_delay_seconds",
            "busy_delay_seconds",
            "no_answer_delay_seconds",
            "max_no_answer",
            "no_answer_count",
            "penalty_reason",
            "penalty_until",
            "misconfigured",
            "presence",
            "created_at",
            "updated_at",
        ]
        # The penalty fields are the dialer's; `misconfigured` may be cleared (set to "") once
        # the agent's SIP identity is fixed.
        read_only_fields = ["no_answer_count", "penalty_reason", "penalty_until", "created_at",
                            "updated_at"]
        list_serializer_class = AgentListSerializer

    @extend_schema_field(PresenceSerializer(allow_null=True))
    def get_presence(self, agent: Agent) -> dict[str, Any] | None:
        """The agent's live state from the presence store (the view fetches a page at once)."""
        return presence_of(agent, self.context)


class IntentSerializer(serializers.Serializer):
    """An agent's intent, set by a supervisor: available, paused (with a reason) or logged out."""

    intent = serializers.ChoiceField(choices=list(INTENTS))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["intent"] == "paused" and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": ["A pause needs a reason."]})
        return attrs

    def save(self, **kwargs: Any) -> bool:
        """Write the intent to the presence store; True if it changed."""
        try:
            return set_intent(
                self.context["agent"],
                self.validated_data["intent"],
                self.validated_data["reason"],
                actor=self.context["actor"],
            )
        except InvalidIntent as exc:
            raise serializers.ValidationError({"intent": [str(exc)]}) from exc
