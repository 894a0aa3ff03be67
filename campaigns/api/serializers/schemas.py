"""Shapes of the dicts the services return, declared for the OpenAPI schema only."""

from __future__ import annotations

from rest_framework import serializers


class RegistrationSerializer(serializers.Serializer):
    node = serializers.CharField()
    contact = serializers.CharField()
    transport = serializers.CharField()
    network = serializers.CharField(help_text="ip:port the registration came from")
    user_agent = serializers.CharField()
    expires_at = serializers.FloatField(help_text="Unix time")
    unreachable = serializers.BooleanField(help_text="OPTIONS pings found the contact unreachable")
    trusted = serializers.BooleanField(
        help_text="False while the node's connection is lost, and while stale")
    stale = serializers.BooleanField(
        help_text="Listed by the node after its restart (TCP/TLS) but not registered again since")


class PresenceSerializer(serializers.Serializer):
    """An agent's live state from the presence store (null when the store is unreachable)."""

    agent = serializers.CharField(help_text="user@domain")
    enabled = serializers.BooleanField()
    groups = serializers.ListField(child=serializers.CharField())
    registered = serializers.BooleanField()
    intent = serializers.CharField(help_text="available, paused or logged_out")
    reason = serializers.CharField()
    activity = serializers.CharField(help_text="idle, reserved, ringing, on_call or wrapup")
    activity_until = serializers.FloatField(allow_null=True, help_text="Unix time")
    routable = serializers.BooleanField(help_text="Registered, available and idle")
    registrations = RegistrationSerializer(many=True)


class TargetCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_state = serializers.DictField(child=serializers.IntegerField())


class AttemptCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    counted = serializers.IntegerField(help_text="Attempts that count against max_attempts")
    in_progress = serializers.IntegerField()
    by_outcome = serializers.DictField(child=serializers.IntegerField())


class HangupCauseSerializer(serializers.Serializer):
    cause = serializers.CharField()
    calls = serializers.IntegerField()


class AnswerToAgentSerializer(serializers.Serializer):
    p50 = serializers.IntegerField(allow_null=True)
    p95 = serializers.IntegerField(allow_null=True)


class CampaignStatsSerializer(serializers.Serializer):
    """A campaign's figures (campaigns.services.reporting.stats.campaign_stats)."""

    campaign = serializers.IntegerField()
    status = serializers.CharField()
    targets = TargetCountsSerializer()
    attempts = AttemptCountsSerializer()
    answered = serializers.IntegerField()
    answer_rate = serializers.FloatField(allow_null=True, help_text="answered / callee outcomes")
    billsec = serializers.IntegerField()
    abandoned = serializers.IntegerField(
        help_text="Answered calls with no agent connected within 2 s (never, or later)")
    abandon_rate = serializers.FloatField(
        allow_null=True, help_text="abandoned / answered calls (the regulators' figure)")
    answer_to_agent_ms = AnswerToAgentSerializer(
        help_text="From the answer (or the extension sent in full; with the agent at the hello, "
        "from the hello) to the agent connected")
    agent_seconds_saved = serializers.IntegerField(
        help_text="agent_at_hello: agent time not spent listening to attendants, ringback and "
        "machines (from the digits to the hello, or to the end of a call with no person)")
    hangup_causes = HangupCauseSerializer(many=True, help_text="The ten most frequent")
