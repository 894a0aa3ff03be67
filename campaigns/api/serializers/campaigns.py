"""Campaigns, their lifecycle actions and their statistics."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from campaigns.api.exceptions import Conflict
from campaigns.api.fields import (
    CallerIdNameField,
    CallerIdNumberField,
    PromptField,
    WeekdaysField,
)
from campaigns.errors import IllegalTransition, RecycleError
from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.validators import validate_region, validate_time_zone


class CampaignSerializer(serializers.ModelSerializer):
    caller_id_number = CallerIdNumberField(max_length=32, required=False, allow_blank=True)
    caller_id_name = CallerIdNameField(max_length=64, required=False, allow_blank=True)
    abandon_message = PromptField(max_length=200, required=False)
    weekdays = WeekdaysField(required=False, help_text=(
        "The days it dials: a list of day names (\"mon\", \"Tuesday\") or ISO numbers "
        "(1 = Monday ... 7 = Sunday), or the bit mask (bit 0 = Monday ... bit 6 = Sunday). "
        "Read back as the bit mask."))
    voicemail_message = PromptField(max_length=200, required=False)

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
            "unknown_outcome",
            "dtmf_comma_pause_ms",
            "connect_plan",
            "listen_threshold",
            "listen_silence_ms",
            "listen_hits",
            "listen_timeout_ms",
            "person_max_ms",
            "ring_timeout_seconds",
            "voicemail_action",
            "voicemail_message",
            "retry_voicemail_seconds",
            "retry_no_person_seconds",
            "passes",
            "dial_mode",
            "abandon_ceiling_pct",
            "abandon_formula",
            "dial_ratio",
            "amd_false_positive_pct",
            "record_retention_days",
            "status",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        # Status moves only through the lifecycle actions, which record who and why.
        read_only_fields = ["status", "status_changed_at", "passes", "created_at", "updated_at"]
        extra_kwargs = {
            "timezone": {"validators": [validate_time_zone]},
            "default_region": {"validators": [validate_region]},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A start or end written without an offset is wall-clock time in the campaign's zone
        # (like the daily window), not the server's; with an offset it is that instant.
        zone_name = attrs.get("timezone", getattr(self.instance, "timezone", "UTC"))
        raw = self.initial_data if isinstance(self.initial_data, dict) else {}
        for name in ("starts_at", "ends_at"):
            text = raw.get(name)
            if attrs.get(name) and isinstance(text, str):
                parsed = parse_datetime(text.strip())
                if parsed is not None and parsed.tzinfo is None:
                    attrs[name] = parsed.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
        starts_at = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends_at = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts_at and ends_at and ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": ["Must be later than starts_at."]})
        # The pacing rules are the model's: judged on the row as it would be saved.
        current = {name: attrs.get(name, getattr(self.instance, name, None))
                   for name in ("mode", "dial_mode")}
        probe = Campaign(**{name: value for name, value in current.items() if value is not None})
        if errors := probe.pacing_errors():
            raise serializers.ValidationError(errors)
        mode = attrs.get("mode", getattr(self.instance, "mode", "target_first"))
        plan = attrs.get("connect_plan", getattr(self.instance, "connect_plan", "blind"))
        if mode == "agent_first" and plan != "blind":
            raise serializers.ValidationError({"connect_plan": [
                "agent_first sends the digits from the agent's leg: only 'blind' is possible."]})
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


class RecycleSerializer(serializers.Serializer):
    """Lead recycling: the finished outcomes or dispositions to reset for a new pass, and why."""

    outcomes = serializers.MultipleChoiceField(
        choices=lifecycle.RECYCLABLE_OUTCOMES,
        allow_empty=False,
        required=False,
        help_text="Targets whose last outcome is one of these go back to pending",
    )
    dispositions = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, allow_empty=False,
        max_length=100,
        help_text="Disposition codes: targets with a call disposed as one of these go back to "
        "pending too (e.g. [\"wrong_person\"])",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("outcomes") and not attrs.get("dispositions"):
            raise serializers.ValidationError({"outcomes": ["This field is required."]})
        codes = sorted(set(attrs.get("dispositions") or []))
        campaign: Campaign = self.context["campaign"]
        found = dict(campaign.dispositions.filter(code__in=codes).values_list("code", "id"))
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise serializers.ValidationError({"dispositions": [
                f"not a disposition of this campaign: {', '.join(unknown)[:200]}"]})
        attrs["disposition_ids"] = sorted(found.values())
        return attrs

    def save(self, **kwargs: Any) -> dict[str, Any]:
        """Recycle; a refused one (cancelled, nothing matches, cannot dial) becomes a 409."""
        campaign: Campaign = self.context["campaign"]
        try:
            reset = lifecycle.recycle(
                campaign,
                sorted(self.validated_data.get("outcomes") or []),
                dispositions=self.validated_data["disposition_ids"],
                actor=self.context["actor"],
                reason=self.validated_data["reason"],
            )
        except (RecycleError, IllegalTransition) as exc:
            raise Conflict(str(exc), code=exc.code) from exc
        return {"reset": reset, "campaign": campaign}
