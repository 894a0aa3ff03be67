"""Admin for dispositions (inline on the campaign) and callbacks (visible and editable)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import TabularInline

from campaigns.admin.base import StrictIdAdmin
from campaigns.models import Callback, CallbackState, Disposition
from campaigns.services.floor.dispositions import add_default_dispositions, reschedule_callback
from campaigns.validators import time_zone_names


class DispositionInline(TabularInline):
    model = Disposition
    extra = 0
    fields = ["position", "code", "label", "kind", "retry_seconds"]
    ordering = ["position", "id"]


@admin.register(Disposition)
class DispositionAdmin(StrictIdAdmin):
    list_display = ["label", "code", "kind", "campaign", "position"]
    list_filter = ["kind", "campaign"]
    search_fields = ["label", "code"]
    list_select_related = ["campaign"]


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name if name in time_zone_names() else "UTC")


class CallbackForm(forms.ModelForm):
    """The due time shown and read as wall-clock time in the call back's own zone (the target's,
    as the agent gave it), not the server's."""

    class Meta:
        model = Callback
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = _zone(self.initial.get("timezone") or "UTC")
        value = self.initial.get("due_at")
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            self.initial["due_at"] = timezone.make_naive(value, zone)
        self.fields["due_at"].help_text = (
            f"In the call back's zone ({zone.key}): wall-clock time there")
        self.fields["due_at"].label = "Due (in its zone)"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        value = cleaned.get("due_at")
        if isinstance(value, dt.datetime):
            # Django read the typed time in the server's zone: read it again in the call back's.
            current = timezone.get_current_timezone()
            wall = timezone.make_naive(value, current) if timezone.is_aware(value) else value
            cleaned["due_at"] = wall.replace(tzinfo=_zone(cleaned.get("timezone") or "UTC"))
        return cleaned


@admin.register(Callback)
class CallbackAdmin(StrictIdAdmin):
    form = CallbackForm
    list_display = ["target", "campaign", "due_local", "timezone", "agent", "state", "created_at"]
    list_filter = ["state", "campaign"]
    list_select_related = ["target", "campaign", "agent"]
    raw_id_fields = ["target", "attempt", "agent"]
    readonly_fields = ["created_by", "created_at", "attempt"]
    fields = ["campaign", "target", "attempt", "agent", "due_at", "timezone", "state", "notes",
              "created_by", "created_at"]
    actions = ["cancel_callbacks"]

    @admin.display(description="Due (target's zone)", ordering="due_at")
    def due_local(self, obj: Callback) -> str:
        import zoneinfo

        try:
            zone = zoneinfo.ZoneInfo(obj.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return f"{obj.due_at:%Y-%m-%d %H:%M} UTC"
        return obj.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def save_model(self, request: Any, obj: Callback, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        reschedule_callback(obj, timezone.now())  # an edited time moves the target with it

    @admin.action(description="Cancel the selected callbacks", permissions=["change"])
    def cancel_callbacks(self, request: Any, queryset: Any) -> None:
        n = queryset.filter(state=CallbackState.SCHEDULED).update(state=CallbackState.CANCELLED)
        messages.success(request, f"{n} callback(s) cancelled.")


def add_defaults_action(modeladmin: Any, request: Any, queryset: Any) -> None:
    """Campaign action: give each selected campaign the usual dispositions."""
    created = sum(add_default_dispositions(campaign) for campaign in queryset)
    messages.success(request, f"{created} disposition(s) added.")


add_defaults_action.short_description = "Add the default dispositions"  # type: ignore[attr-defined]
add_defaults_action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
