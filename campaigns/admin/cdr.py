"""Admin for the CDRs FreeSWITCH posted (read-only: written by the CDR endpoint and sweeper)."""

from __future__ import annotations

from django.contrib import admin

from campaigns.admin.base import StrictIdAdmin
from campaigns.models import CallDetailRecord


@admin.register(CallDetailRecord)
class CallDetailRecordAdmin(StrictIdAdmin):
    list_display = ["leg_uuid", "attempt", "leg", "source", "hangup_cause",
                    "sip_hangup_disposition", "originate_disposition", "billsec",
                    "answered_at", "received_at"]
    list_filter = ["leg", "source", "hangup_cause"]
    list_select_related = ["attempt"]
    search_fields = ["=leg_uuid", "=call_uuid"]
    raw_id_fields = ["attempt"]
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
