"""Admin for targets, call attempts and the do-not-call list: built for a million rows.

No foreign key renders a select (raw ids), searches are exact matches on indexed columns, and
the changelist never counts the whole table twice (`show_full_result_count = False`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import Q
from unfold.admin import TabularInline

from campaigns.access import may_export
from campaigns.admin.base import StrictIdAdmin
from campaigns.models import CallAttempt, DoNotCall, Outcome, Target
from campaigns.services.reporting import exports
from campaigns.validators import NumberError, normalize_number
from telephony.dialstring import describe_extension


def _export_actions(kind: str) -> list:
    """Changelist actions that stream the selected rows (or all matching) as CSV or XLSX."""

    def make(fmt: str):
        def export(modeladmin, request, queryset):
            return exports.streaming_response(kind, fmt, queryset=queryset)

        export.__name__ = f"export_{fmt}"
        # permissions=["export"]: offered only to holders of the export permission.
        return admin.action(description=f"Export selected {exports.LABELS[kind]} as {fmt.upper()}",
                            permissions=["export"])(export)

    return [make(fmt) for fmt in exports.FORMATS]


class ExportAdmin(StrictIdAdmin):
    """A changelist whose export actions need the export permission (campaigns/access.py)."""

    def has_export_permission(self, request: Any) -> bool:
        return may_export(request.user)


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


class LastOutcomeFilter(admin.SimpleListFilter):
    """Filter by last outcome, listed by label ("No answer"), not by slug."""

    title = "last outcome"
    parameter_name = "last_outcome"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in Outcome.choices if value]

    def queryset(self, request, queryset):
        return queryset.filter(last_outcome=self.value()) if self.value() else queryset


@admin.register(Target)
class TargetAdmin(ExportAdmin):
    @admin.display(description="Extension", ordering="extension")
    def extension_words(self, obj: Target) -> str:
        """`w187` as "wait 0.5 s, press 187 (w187)": what the dialer will do."""
        if not obj.extension:
            return "-"
        words = describe_extension(obj.extension)
        return obj.extension if words == f"press {obj.extension}" else f"{words} ({obj.extension})"

    list_display = [
        "number",
        "extension_words",
        "campaign",
        "state",
        "attempts",
        "next_attempt_at",
        "last_outcome_label",
        "external_ref",
    ]
    list_filter = ["state", "campaign", LastOutcomeFilter]
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
    actions = _export_actions("targets")

    @admin.display(description="Last outcome", ordering="last_outcome")
    def last_outcome_label(self, obj: Target) -> str:
        """The outcome's label ("No answer"), not its stored slug."""
        try:
            return str(Outcome(obj.last_outcome).label) if obj.last_outcome else "-"
        except ValueError:
            return obj.last_outcome

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
class CallAttemptAdmin(ExportAdmin):
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
    actions = _export_actions("attempts")

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
class DoNotCallAdmin(StrictIdAdmin):
    list_display = ["number", "reason", "created_at"]
    search_fields = ["number"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        number = _number_query(term)
        return (queryset.filter(number) if number is not None else queryset.none()), False
