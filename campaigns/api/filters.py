"""Query-string filters for the list endpoints (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from campaigns.models import (
    Agent,
    AgentGroup,
    CallAttempt,
    Campaign,
    CampaignMode,
    CampaignStatus,
    DoNotCall,
    Node,
    Outcome,
    Target,
    TargetState,
    Trunk,
)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, normalised to UTC.

    Python accepts UTC offsets up to +/-23:59, PostgreSQL only up to +/-15:59 (a DataError, a
    500); the instant is the same in UTC, so the filter compares in UTC.
    """

    def to_python(self, value: object) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 lies before year 1 in UTC
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class CampaignFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=CampaignStatus.choices)
    mode = filters.ChoiceFilter(choices=CampaignMode.choices)

    class Meta:
        model = Campaign
        fields = ["status", "mode", "trunk", "agent_group"]


class TargetFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=TargetState.choices)
    number = filters.CharFilter(max_length=32)
    external_ref = filters.CharFilter(max_length=100)
    next_attempt_after = UtcIsoDateTimeFilter(field_name="next_attempt_at", lookup_expr="gte")
    next_attempt_before = UtcIsoDateTimeFilter(field_name="next_attempt_at", lookup_expr="lt")

    class Meta:
        model = Target
        fields = ["campaign", "state", "number", "external_ref"]


class CallAttemptFilter(filters.FilterSet):
    outcome = filters.MultipleChoiceFilter(choices=Outcome.choices)
    node = filters.CharFilter(max_length=63)
    hangup_cause = filters.CharFilter(max_length=64)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ended_after = UtcIsoDateTimeFilter(field_name="ended_at", lookup_expr="gte")
    ended_before = UtcIsoDateTimeFilter(field_name="ended_at", lookup_expr="lt")

    class Meta:
        model = CallAttempt
        fields = ["campaign", "target", "outcome", "node", "agent", "hangup_cause", "disposition"]


class AgentFilter(filters.FilterSet):
    class Meta:
        model = Agent
        fields = ["group", "enabled", "sip_domain"]


class AgentGroupFilter(filters.FilterSet):
    class Meta:
        model = AgentGroup
        fields = ["name"]


class TrunkFilter(filters.FilterSet):
    class Meta:
        model = Trunk
        fields = ["enabled", "gateway"]


class NodeFilter(filters.FilterSet):
    class Meta:
        model = Node
        fields = ["enabled", "sip_profile"]


class DoNotCallFilter(filters.FilterSet):
    number = filters.CharFilter(max_length=32)

    class Meta:
        model = DoNotCall
        fields = ["number"]
