"""Admin for targets, call attempts and the do-not-call list: built for a million rows.

No foreign key renders a select (raw ids), searches are exact matches on indexed columns, and
the changelist never counts the whole table twice (`show_full_result_count = False`).
"""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.db.models import Q
from unfold.admin import ModelAdmin, TabularInline

from campaigns.models import CallAttempt, DoNotCall, Target
from campaigns.validators import NumberError, normalize_number


def _number_query(term: str, region: str = "US") -> Q | None:
    """An exact-number filter for a search term that reads as a phone number."""
    try:
        return Q(number=normalize_number(term, region))
    except NumberError:
        return None


class CallAttemptInline(TabularInline):
    model = CallAttempt
    fk_name = "target"
    extra = 0
    can_delete = False
    fields = [
        "attempt_number",
        "uuid",
        "node",
        "agent",
        "outcome",
        "hangup_cause",
        "agent_leg_cause",
        "billsec",
        "disposition",
        "disposition_notes",
        "answer_to_agent_ms",
        "agent_failovers",
        "created_at",
        "ended_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(ModelAdmin):
    list_display = [
        "number",
        "extension",
        "campaign",
        "state",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "external_ref",
    ]
    list_filter = ["state", "campaign", "last_outcome"]
    list_select_related = ["campaign"]
    search_fields = ["number", "external_ref"]
    search_help_text = "Exact phone number (any notation) or external reference"
    raw_id_fields = ["campaign"]
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [
        "state",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "last_hangup_cause",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["campaign", "number", "extension", "external_ref", "timezone"]}),
        ("Data", {"fields": ["custom_data"]}),
        ("Dialling", {"fields": readonly_fields}),
    ]
    inlines = [CallAttemptInline]

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns: a LIKE over a million numbers is a full scan."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(external_ref=term)
        number = _number_query(term)
        if number is not None:
            condition |= number
        return queryset.filter(condition), False


@admin.register(CallAttempt)
class CallAttemptAdmin(ModelAdmin):
    list_display = [
        "uuid",
        "target",
        "campaign",
        "attempt_number",
        "node",
        "agent",
        "outcome",
        "hangup_cause",
        "agent_leg_cause",
        "billsec",
        "disposition",
        "answer_to_agent_ms",
        "agent_failovers",
        "created_at",
    ]
    list_filter = ["outcome", "disposition__kind", "counts_as_attempt", "node", "campaign"]
    list_select_related = ["target", "campaign", "agent", "disposition"]
    search_fields = ["uuid"]
    search_help_text = "Exact call UUID or the target's phone number"
    raw_id_fields = ["target", "campaign", "agent"]
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False  # attempts are written by the dialler, never by hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(uuid=uuid.UUID(term)), False
        except ValueError:
            pass
        number = _number_query(term)
        if number is None:
            return queryset.none(), False
        return queryset.filter(target__in=Target.objects.filter(number)), False


@admin.register(DoNotCall)
class DoNotCallAdmin(ModelAdmin):
    list_display = ["number", "reason", "created_at"]
    search_fields = ["number"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        number = _number_query(term)
        return (queryset.filter(number) if number is not None else queryset.none()), False
