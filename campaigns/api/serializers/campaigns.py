"""Campaigns, their lifecycle actions and their statistics."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.api.exceptions import Conflict
from campaigns.api.fields import CallerIdNameField, CallerIdNumberField, PromptField
from campaigns.errors import IllegalTransition
from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.validators import validate_region, validate_time_zone


class CampaignSerializer(serializers.ModelSerializer):
    caller_id_number = CallerIdNumberField(max_length=32, required=False, allow_blank=True)
    caller_id_name = CallerIdNameField(max_length=64, required=False, allow_blank=True)
    abandon_message = PromptField(max_length=200, required=False)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "trunk",
            "mode",
            "agent_group",
            "caller_id_number",
            "caller_id_name",
            "default_region",
            "starts_at",
            "ends_at",
            "timezone",
            "weekdays",
            "daily_start",
            "daily_end",
            "use_target_timezone",
            "max_concurrent",
            "calls_per_second",
            "originate_timeout",
            "max_attempts",
            "retry_busy_seconds",
            "retry_no_answer_seconds",
            "retry_failed_seconds",
            "dtmf_settle_ms",
            "dtmf_duration_ms",
            "dtmf_pause_ms",
            "agent_ring_timeout",
            "max_agent_failovers",
            "failover_window_seconds",
            "abandon_message",
            "retry_abandoned_seconds",
            "status",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        # Status moves only through the lifecycle actions, which record who and why.
        read_only_fields = ["status", "status_changed_at", "created_at", "updated_at"]
        extra_kwargs = {
            "timezone": {"validators": [validate_time_zone]},
            "default_region": {"validators": [validate_region]},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts_at = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends_at = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts_at and ends_at and ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": ["Must be later than starts_at."]})
        return attrs


class TransitionSerializer(serializers.Serializer):
    """A lifecycle action (start, pause, resume, cancel) with an optional audit-trail reason."""

    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def save(self, **kwargs: Any) -> Campaign:
        """Apply the transition named in the context; an illegal move becomes a 409."""
        campaign: Campaign = self.context["campaign"]
        move = getattr(lifecycle, self.context["transition"])
        try:
            move(campaign, actor=self.context["actor"], reason=self.validated_data["reason"])
        except IllegalTransition as exc:
            raise Conflict(str(exc), code=exc.code) from exc
        campaign.refresh_from_db()
        return campaign
