"""Campaign admin: setup by fieldsets, lifecycle actions and progress figures; its import and
recycling pages are in campaign_pages.py, its forms in campaign_forms.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import TabularInline

from campaigns.access import may_export
from campaigns.admin.base import StrictIdAdmin
from campaigns.admin.campaign_forms import CampaignForm
from campaigns.admin.campaign_pages import CampaignPages
from campaigns.admin.floor import DispositionInline, add_defaults_action
from campaigns.errors import IllegalTransition
from campaigns.ids import parse_id
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignStatus,
    TargetState,
)
from campaigns.services import lifecycle
from campaigns.services.campaign_buttons import campaign_controls
from campaigns.services.floor.dispositions import give_new_campaign_dispositions
from campaigns.services.reporting import exports
from campaigns.services.reporting.stats import campaign_stats


def _waits(ms: dict[str, int | None]) -> str:
    """"850 / 1,900 ms", or why there is no figure yet (never "None / None")."""
    if ms["p50"] is None:
        return "- (no call connected to an agent yet)"
    return f"{ms['p50']:,} / {ms['p95']:,} ms"


def _local(campaign: Campaign, value: dt.datetime | None) -> str:
    """An instant as wall-clock time in the campaign's own zone, for the changelist."""
    if value is None:
        return "-"
    return value.astimezone(campaign.zone).strftime("%Y-%m-%d %H:%M")


def _label(choices: Any, value: str) -> str:
    """A stored slug as its human label ("retry_wait" -> "Waiting to retry")."""
    try:
        return str(choices(value).label)
    except ValueError:  # a value this code does not know (yet): show it as stored
        return value


def index_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The admin index leads with what a supervisor needs: live campaigns and the dashboard."""
    live = (
        Campaign.objects.filter(
            status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED]
        )
        .order_by("status", "name")
        .only("id", "name", "status", "passes")[:25]
    )
    context["live_campaigns"] = [
        {
            "name": campaign.name,
            "status": campaign.get_status_display(),
            "passes": campaign.passes,
            "dashboard_url": reverse("dashboard:campaign", args=[campaign.pk]),
            "change_url": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        }
        for campaign in live
    ]
    context["dashboard_url"] = reverse("dashboard:system")
    return context


class CampaignEventInline(TabularInline):
    model = CampaignEvent
    extra = 0
    can_delete = False
    verbose_name = "audit trail entry"
    verbose_name_plural = "audit trail"
    fields = ["at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _lifecycle_action(name: str, past: str):
    """A changelist action that applies one lifecycle transition to each selected campaign."""

    def action(modeladmin: CampaignAdmin, request: HttpRequest, queryset) -> None:
        moved = []
        for campaign in queryset:
            try:
                getattr(lifecycle, name)(campaign, actor=request.user, reason="admin action")
            except IllegalTransition as exc:
                modeladmin.message_user(request, f"{campaign.name}: {exc}", messages.ERROR)
            else:
                moved.append(campaign.name)
        if moved:
            modeladmin.message_user(request, f"{past}: {', '.join(moved)}", messages.SUCCESS)

    action.__name__ = f"{name}_campaigns"
    return admin.action(
        description=f"{name.capitalize()} selected campaigns", permissions=["change"]
    )(action)


@admin.register(Campaign)
class CampaignAdmin(CampaignPages, StrictIdAdmin):
    form = CampaignForm
    change_form_template = "admin/campaigns/campaign/change_form.html"
    list_display = [
        "name",
        "status",
        "passes",
        "mode",
        "trunk",
        "agent_group",
        "timezone",
        "starts_local",
        "ends_local",
    ]
    list_filter = ["status", "mode", "trunk"]
    search_fields = ["name"]
    autocomplete_fields = ["trunk", "agent_group"]
    list_select_related = ["trunk", "agent_group"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "created_at",
        "updated_at",
        "progress",
        "import_targets_link",
        "passes",
    ]
    inlines = [DispositionInline, CampaignEventInline]
    actions = [
        _lifecycle_action("start", "Started"),
        _lifecycle_action("pause", "Paused"),
        _lifecycle_action("resume", "Resumed"),
        _lifecycle_action("cancel", "Cancelled"),
        _lifecycle_action("complete", "Completed"),
        add_defaults_action,
    ]
    fieldsets = [
        (None, {"fields": ["name", "trunk", "agent_group", "mode", "status", "status_changed_at"]}),
        (
            "Caller ID and numbers",
            {"fields": ["caller_id_number", "caller_id_name", "default_region"]},
        ),
        (
            "Schedule",
            {
                "fields": [
                    "timezone",
                    "weekdays",
                    "daily_start",
                    "daily_end",
                    "starts_at",
                    "ends_at",
                    "use_target_timezone",
                ]
            },
        ),
        ("Pacing", {"fields": ["max_concurrent", "calls_per_second", "originate_timeout"]}),
        (
            "Retries",
            {
                "fields": [
                    "max_attempts",
                    "retry_busy_seconds",
                    "retry_no_answer_seconds",
                    "retry_failed_seconds",
                ]
            },
        ),
        (
            "Extension digits (DTMF)",
            {
                "fields": [
                    "dtmf_settle_ms",
                    "dtmf_duration_ms",
                    "dtmf_pause_ms",
                    "dtmf_comma_pause_ms",
                ]
            },
        ),
        (
            "Listening to the line (attendant plan, agent at the hello)",
            {
                "fields": [
                    "connect_plan",
                    "listen_threshold",
                    "listen_silence_ms",
                    "listen_hits",
                    "listen_timeout_ms",
                    "person_max_ms",
                    "ring_timeout_seconds",
                    "voicemail_action",
                    "voicemail_message",
                    "retry_voicemail_seconds",
                    "retry_no_person_seconds",
                ]
            },
        ),
        (
            "The person who answered (target_first agent failover and abandons)",
            {
                "fields": [
                    "agent_ring_timeout",
                    "max_agent_failovers",
                    "failover_window_seconds",
                    "abandon_message",
                    "retry_abandoned_seconds",
                    "unknown_outcome",
                ]
            },
        ),
        (
            "Pacing and compliance (docs/predictive-pacing.md)",
            {
                "fields": [
                    "dial_mode",
                    "abandon_ceiling_pct",
                    "abandon_formula",
                    "dial_ratio",
                    "amd_false_positive_pct",
                    "record_retention_days",
                ]
            },
        ),
        (
            "Progress",
            {"fields": ["progress", "passes", "import_targets_link", "created_at", "updated_at"]},
        ),
    ]

    @admin.display(description="Starts at (campaign's zone)", ordering="starts_at")
    def starts_local(self, obj: Campaign) -> str:
        return _local(obj, obj.starts_at)

    @admin.display(description="Ends at (campaign's zone)", ordering="ends_at")
    def ends_local(self, obj: Campaign) -> str:
        return _local(obj, obj.ends_at)

    @admin.display(description="Progress")
    def progress(self, obj: Campaign) -> str:
        """Targets by state, attempts and answer rate, from campaign_stats (aggregates only)."""
        if not obj.pk:
            return "-"
        stats = campaign_stats(obj)
        rate = stats["answer_rate"]
        rows = [
            (_label(TargetState, state), count)
            for state, count in stats["targets"]["by_state"].items()
            if count
        ]
        rows += [
            ("targets", stats["targets"]["total"]),
            ("attempts", stats["attempts"]["total"]),
            ("in progress", stats["attempts"]["in_progress"]),
            ("answered", stats["answered"]),
            ("answer rate", "-" if rate is None else f"{rate:.1%}"),
            ("abandoned (no agent within 2 s of the answer)", stats["abandoned"]),
            ("abandon rate = abandoned ÷ answered", "-" if stats["abandon_rate"] is None
             else f"{stats['abandon_rate']:.1%}"),
            ("answer to agent (answer to bridge), median / 95th percentile",
             _waits(stats["answer_to_agent_ms"])),
        ]
        return format_html(
            '<table class="sb-progress">{}</table>',
            format_html_join(
                "",
                '<tr><th style="text-align:left;padding:2px 16px 2px 0">{}</th><td>{}</td></tr>',
                rows,
            ),
        )

    @admin.display(description="Import")
    def import_targets_link(self, obj: Campaign) -> str:
        if not obj.pk:
            return "Save the campaign first."
        url = reverse("admin:campaigns_campaign_import", args=[obj.pk])
        return format_html(
            '<a class="text-primary-600 underline" href="{}">Import targets from a CSV or XLSX '
            "file</a>",
            url,
        )

    def get_urls(self):
        urls = [
            path(
                "<id:object_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="campaigns_campaign_import",
            ),
            path(
                "<id:object_id>/import/<id:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="campaigns_campaign_import_job",
            ),
            path(
                "<id:object_id>/import/<id:job_id>/report.csv",
                self.admin_site.admin_view(self.import_report_view),
                name="campaigns_campaign_import_report",
            ),
            path(
                "<id:object_id>/recycle/",
                self.admin_site.admin_view(self.recycle_view),
                name="campaigns_campaign_recycle",
            ),
        ]
        return urls + super().get_urls()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:  # after the inline: a list typed in on creation is kept as it is
            give_new_campaign_dispositions(form.instance)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page with the lifecycle buttons, exports and lead recycling on top."""
        extra = dict(extra_context or {})
        campaign_id = parse_id(object_id)
        campaign = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
        if campaign is not None:
            extra.update(
                controls=campaign_controls(campaign, request.user),
                controls_next=request.path,
                exports=exports.export_links(campaign) if may_export(request.user) else [],
                recycle_url=reverse("admin:campaigns_campaign_recycle", args=[campaign.pk])
                if self.has_change_permission(request, campaign)
                else "",
                # The import as a button beside Start, not a link at the foot of the form.
                import_url=reverse("admin:campaigns_campaign_import", args=[campaign.pk])
                if self.has_change_permission(request, campaign)
                and request.user.has_perm("campaigns.add_target")
                else "",
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)
