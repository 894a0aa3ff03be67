"""Trunks (carrier gateways) and FreeSWITCH nodes; a node's ESL password is write-only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.api.fields import (
    CallerIdNameField,
    CallerIdNumberField,
    DialPrefixField,
    EslPasswordField,
    GatewayField,
    HostField,
    NodeNameField,
    SipProfileField,
)
from campaigns.api.presence import node_live_states
from campaigns.errors import NODE_MOVED_NEEDS_PASSWORD
from campaigns.models import Node, Trunk


class TrunkSerializer(serializers.ModelSerializer):
    gateway = GatewayField(max_length=64)
    dial_prefix = DialPrefixField(max_length=16, required=False, allow_blank=True)
    caller_id_number = CallerIdNumberField(max_length=32, required=False, allow_blank=True)
    caller_id_name = CallerIdNameField(max_length=64, required=False, allow_blank=True)

    class Meta:
        model = Trunk
        fields = [
            "id",
            "name",
            "gateway",
            "dial_prefix",
            "caller_id_number",
            "caller_id_name",
            "cps_limit",
            "max_concurrent",
            "enabled",
            "misconfigured_on",
            "created_at",
            "updated_at",
        ]
        # Set by the dialer when a node refuses the gateway; cleared in the admin once fixed.
        read_only_fields = ["misconfigured_on", "created_at", "updated_at"]


class NodeSerializer(serializers.ModelSerializer):
    name = NodeNameField(max_length=63)
    esl_host = HostField(max_length=253)
    sip_profile = SipProfileField(max_length=64, required=False)
    # Write-only: never echoed back, not even masked, so no response can leak it.
    esl_password = EslPasswordField(max_length=128, write_only=True, required=False)
    live = serializers.SerializerMethodField(
        help_text="Live state from the listener: up/syncing/lost, load, agents online and "
        "available on this node; null when the presence store is unreachable or the node unknown."
    )

    class Meta:
        model = Node
        fields = [
            "id",
            "name",
            "esl_host",
            "esl_port",
            "esl_password",
            "sip_profile",
            "enabled",
            "max_sessions",
            "max_cps",
            "live",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_live(self, node: Node) -> dict[str, Any] | None:
        """The node's live state; one cached cluster read serves a whole page."""
        if "node_live" not in self.context:
            self.context["node_live"] = node_live_states()
        return self.context["node_live"].get(node.name)

    def validate_name(self, value: str) -> str:
        """Node names are unique; checked here so the error names the field."""
        others = Node.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("node with this name already exists.", code="unique")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Required to create a node; an update without it keeps the stored password.
        if self.instance is None and "esl_password" not in attrs:
            raise serializers.ValidationError(
                {"esl_password": ["This field is required."]}, code="required"
            )
        # The stored password must never follow the node to a new address: whoever may edit
        # a node could otherwise point it at their own server and read "auth <password>".
        if self.instance is not None and "esl_password" not in attrs:
            moved = attrs.get("esl_host", self.instance.esl_host) != self.instance.esl_host or (
                attrs.get("esl_port", self.instance.esl_port) != self.instance.esl_port
            )
            if moved:
                raise serializers.ValidationError(
                    {"esl_password": [NODE_MOVED_NEEDS_PASSWORD]}, code="required"
                )
        return attrs
