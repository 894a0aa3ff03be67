"""Query-string filters for the list endpoints (django-filter)."""

from __future__ import annotations

import django_filters as filters

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
    next_attempt_after = filters.IsoDateTimeFilter(field_name="next_attempt_at", lookup_expr="gte")
    next_attempt_before = filters.IsoDateTimeFilter(field_name="next_attempt_at", lookup_expr="lt")

    class Meta:
        model = Target
        fields = ["campaign", "state", "number", "external_ref"]


class CallAttemptFilter(filters.FilterSet):
    outcome = filters.MultipleChoiceFilter(choices=Outcome.choices)
    node = filters.CharFilter(max_length=63)
    hangup_cause = filters.CharFilter(max_length=64)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ended_after = filters.IsoDateTimeFilter(field_name="ended_at", lookup_expr="gte")
    ended_before = filters.IsoDateTimeFilter(field_name="ended_at", lookup_expr="lt")

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
