"""Call attempts, read-only: what FreeSWITCH told us about each originate."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from campaigns.models import CallAttempt, Disposition


class CallAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallAttempt
        fields = [
            "id",
            "uuid",
            "job_uuid",
            "campaign",
            "target",
            "attempt_number",
            "node",
            "agent",
            "counts_as_attempt",
            "queued_at",
            "originated_at",
            "answered_at",
            "dtmf_sent_at",
            "bridged_at",
            "ended_at",
            "hangup_cause",
            "agent_leg_cause",
            "outcome",
            "billsec",
            "disposition",
            "disposition_code",
            "disposition_notes",
            "disposed_at",
            "answer_to_agent_ms",
            "agent_failovers",
            "created_at",
        ]
        read_only_fields = fields

    disposition_code = serializers.SlugRelatedField(
        source="disposition", slug_field="code", read_only=True)


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["id", "campaign", "code", "label", "kind", "retry_seconds", "position"]


class SetDispositionSerializer(serializers.Serializer):
    """What the agent (or the CRM for the agent) says became of the call."""

    disposition = serializers.SlugField(max_length=40, help_text="The campaign's code, e.g. sale")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    callback_at = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40,
        help_text="For a call back: wall-clock time in the target's zone, e.g. 2026-12-02T10:00 "
                  "(an explicit offset is honoured as given)")
    same_agent = serializers.BooleanField(
        required=False, default=True,
        help_text="Give the callback to the same agent if available then (else the group)")

    def validate_callback_at(self, value: str) -> dt.datetime | None:
        if not value:
            return None
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise serializers.ValidationError(
                "a date and time as YYYY-MM-DDTHH:MM, e.g. 2026-12-02T10:00") from None

    def validate(self, data: dict) -> dict:
        attempt = self.context["attempt"]
        found = Disposition.objects.filter(campaign_id=attempt.campaign_id,
                                           code=data["disposition"]).first()
        if found is None:
            raise serializers.ValidationError(
                {"disposition": ["not a disposition of this campaign"]})
        data["disposition_obj"] = found
        return data
