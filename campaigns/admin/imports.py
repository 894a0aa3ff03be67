"""Admin list of target imports: state, a progress bar and the figures, linked to each job."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from campaigns.admin.base import StrictIdAdmin
from campaigns.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(StrictIdAdmin):
    list_display = [
        "id",
        "campaign",
        "source_name",
        "state",
        "dry_run",
        "progress_bar",
        "created",
        "rejected",
        "duplicates",
        "do_not_call",
        "created_at",
    ]
    list_filter = ["state", "dry_run"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign", "created_by"]
    show_full_result_count = False
    exclude = ["data", "staged", "report_csv"]

    def get_queryset(self, request):
        jobs = super().get_queryset(request).defer("data", "staged", "report_csv")
        # A preview (dry run) is no import: listed only when the filter asks for dry runs.
        if request.resolver_match and request.resolver_match.url_name.endswith(
                "_changelist") and "dry_run__exact" not in request.GET:
            jobs = jobs.filter(dry_run=False)
        return jobs

    @admin.display(description="Progress")
    def progress_bar(self, obj: ImportJob) -> str:
        """Rows read as a bar, linked to the job's page (report and CSV once done)."""
        url = reverse("admin:campaigns_campaign_import_job", args=[obj.campaign_id, obj.pk])
        return format_html(
            '<a href="{}"><progress value="{}" max="100">{}%</progress> {} rows</a>',
            url,
            obj.percent,
            obj.percent,
            obj.rows_read,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
