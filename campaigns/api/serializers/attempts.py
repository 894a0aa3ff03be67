"""Call attempts, read-only: what FreeSWITCH told us about each originate."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import CallAttempt


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
            "outcome",
            "billsec",
            "answer_to_agent_ms",
            "agent_failovers",
            "created_at",
        ]
        read_only_fields = fields
