"""Campaign admin: setup by fieldsets, lifecycle actions, progress figures and the import page."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin, TabularInline

from campaigns.admin.floor import DispositionInline, add_defaults_action
from campaigns.errors import IllegalTransition, ImportFileError, RecycleError
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignStatus,
    ImportJob,
    ImportState,
    Outcome,
    TargetState,
)
from campaigns.models.campaign import WEEKDAYS_MON_FRI
from campaigns.services import exports, lifecycle
from campaigns.services.campaign_buttons import campaign_controls
from campaigns.services.importing import confirm_staged, start_file_import
from campaigns.services.stats import campaign_stats
from campaigns.validators import time_zone_names

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
# A preview nobody confirmed keeps its validated rows this long, then they are dropped.
PREVIEW_MAX_AGE = dt.timedelta(days=1)


def _drop_abandoned_previews(now: dt.datetime) -> None:
    """Forget the staged rows of previews left unconfirmed for more than a day."""
    ImportJob.objects.filter(
        dry_run=True, staged__isnull=False, created_at__lt=now - PREVIEW_MAX_AGE
    ).update(staged=None)


ZONE_NOTE = "in the campaign's time zone"
LOCAL_TIMES = ("starts_at", "ends_at")


class CampaignForm(forms.ModelForm):
    """Weekdays as seven checkboxes (defaulting to the model's Mon-Fri), the time zone as a
    picker of IANA names, and every time read and shown in the campaign's own time zone."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days on which the daily window opens (the day it starts, for night windows)",
    )
    timezone = forms.ChoiceField(
        choices=[],
        initial="UTC",
        help_text="IANA time zone: the daily window and the start and end dates are read in it",
    )

    class Meta:
        model = Campaign
        fields = "__all__"
        labels = {
            "starts_at": f"Starts at ({ZONE_NOTE})",
            "ends_at": f"Ends at ({ZONE_NOTE})",
            "daily_start": f"Daily start ({ZONE_NOTE})",
            "daily_end": f"Daily end ({ZONE_NOTE})",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(time_zone_names())]
        mask = self.initial.get("weekdays")
        if not isinstance(mask, int):
            mask = WEEKDAYS_MON_FRI  # the model's default reaches the "Add campaign" form
        self.initial["weekdays"] = [day for day, _ in WEEKDAYS if mask >> day & 1]
        zone = self._zone(self.initial.get("timezone") or "UTC")
        for name in LOCAL_TIMES:
            value = self.initial.get(name)
            if isinstance(value, dt.datetime) and timezone.is_aware(value):
                # Shown as wall-clock time in the campaign's zone, not the server's.
                self.initial[name] = timezone.make_naive(value, zone)

    @staticmethod
    def _zone(name: str) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(name if name in time_zone_names() else "UTC")

    def clean_weekdays(self) -> int:
        return sum(1 << day for day in self.cleaned_data.get("weekdays") or [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        zone = self._zone(cleaned.get("timezone") or "UTC")
        current = timezone.get_current_timezone()
        for name in LOCAL_TIMES:
            value = cleaned.get(name)
            if isinstance(value, dt.datetime):
                # Django read the typed wall-clock time in the server's zone: read it again in
                # the campaign's, so 09:00 for a Tokyo campaign is 09:00 in Tokyo.
                wall = timezone.make_naive(value, current) if timezone.is_aware(value) else value
                cleaned[name] = wall.replace(tzinfo=zone)
        return cleaned


class RecycleForm(forms.Form):
    """Lead recycling: which finished outcomes get another pass, and why."""

    outcomes = forms.MultipleChoiceField(
        choices=[(value, Outcome(value).label) for value in lifecycle.RECYCLABLE_OUTCOMES],
        widget=forms.CheckboxSelectMultiple,
        initial=[Outcome.NO_ANSWER, Outcome.BUSY],
        help_text="Targets whose last outcome is one of these go back to pending, with the "
        "campaign's full number of attempts again.",
    )
    reason = forms.CharField(max_length=200, required=False)


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


def _digits_rule(campaign: Campaign) -> str:
    """How this campaign sends an extension, in words, for the import page."""
    comma = campaign.dtmf_comma_pause_ms
    steps = (comma // 500) * 500
    gap = f", {campaign.dtmf_pause_ms} ms between digits" if campaign.dtmf_pause_ms >= 500 else ""
    return (
        f"Digits are sent {campaign.dtmf_settle_ms / 1000:g} s after the call is answered, as "
        f"{campaign.dtmf_duration_ms} ms tones{gap}. Each comma (or p, or w in a number) pauses "
        f'{steps / 1000:g} s (the campaign\'s "pause per comma"); w and W in the extension '
        "column pause 0.5 s and 1 s."
    )


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


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (, ; or tab separated) or XLSX")
    encoding = forms.ChoiceField(
        choices=[("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("iso-8859-1", "ISO-8859-1")],
        initial="utf-8",
        required=False,
        help_text="A CSV's text encoding; a line that does not decode is reported by number",
    )


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
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
            ("abandoned (no agent within 2 s)", stats["abandoned"]),
            ("abandon rate", "-" if stats["abandon_rate"] is None
             else f"{stats['abandon_rate']:.1%}"),
            ("answer to agent p50 / p95 (ms)",
             "{p50} / {p95}".format(**stats["answer_to_agent_ms"])),
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
                "<int:object_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="campaigns_campaign_import",
            ),
            path(
                "<int:object_id>/import/<int:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="campaigns_campaign_import_job",
            ),
            path(
                "<int:object_id>/import/<int:job_id>/report.csv",
                self.admin_site.admin_view(self.import_report_view),
                name="campaigns_campaign_import_report",
            ),
            path(
                "<int:object_id>/recycle/",
                self.admin_site.admin_view(self.recycle_view),
                name="campaigns_campaign_recycle",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page with the lifecycle buttons, exports and lead recycling on top."""
        extra = dict(extra_context or {})
        campaign = Campaign.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if campaign is not None:
            extra.update(
                controls=campaign_controls(campaign, request.user),
                controls_next=request.path,
                exports=exports.export_links(campaign),
                recycle_url=reverse("admin:campaigns_campaign_recycle", args=[campaign.pk])
                if self.has_change_permission(request, campaign)
                else "",
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    # --- Lead recycling: reset chosen outcomes for another pass ---------------------------

    def recycle_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=object_id)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        form = RecycleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reset = lifecycle.recycle(
                    campaign,
                    form.cleaned_data["outcomes"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (RecycleError, IllegalTransition) as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"Pass {campaign.passes}: {reset} targets put back to pending; the campaign "
                    f"is {campaign.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "title": f"Recycle leads of {campaign.name}",
            "change_url": change_url,
            "form": form,
        }
        return TemplateResponse(request, "admin/campaigns/campaign/recycle.html", context)

    # --- Import page: upload, preview the rejected lines, then import the good rows ---------
    # The upload passes the API's checks (campaigns.services.importing.read_upload) and is
    # parsed once: the preview is a dry-run job that keeps its validated rows, and the confirm
    # step stores those rows (duplicates and the do-not-call list are checked again). A large
    # file is previewed and imported by a worker; the job page shows a progress bar meanwhile.

    def _import_campaign(self, request: HttpRequest, object_id: int) -> Campaign:
        campaign = get_object_or_404(Campaign, pk=object_id)
        if not (
            self.has_change_permission(request, campaign)
            and request.user.has_perm("campaigns.add_target")
        ):
            raise PermissionDenied
        return campaign

    def _import_context(self, request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "title": f"Import targets into {campaign.name}",
            "change_url": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
            "digits_rule": _digits_rule(campaign),
        }

    def import_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        campaign = self._import_campaign(request, object_id)
        context = self._import_context(request, campaign)
        if request.method == "POST" and "job" in request.POST:
            return self._import_confirmed(request, campaign)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            _drop_abandoned_previews(timezone.now())
            upload = form.cleaned_data["file"]
            try:
                job = start_file_import(
                    campaign,
                    upload,
                    filename=upload.name,
                    encoding=form.cleaned_data["encoding"] or "utf-8",
                    dry_run=True,
                    user=request.user,
                    stage=True,
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return self._render_job(request, campaign, job, context)
        context["form"] = form
        return TemplateResponse(request, "admin/campaigns/campaign/import.html", context)

    def import_job_view(self, request: HttpRequest, object_id: int, job_id: int) -> HttpResponse:
        campaign = self._import_campaign(request, object_id)
        job = get_object_or_404(
            ImportJob.objects.defer("report_csv", "data"), pk=job_id, campaign=campaign
        )
        return self._render_job(request, campaign, job, self._import_context(request, campaign))

    def import_report_view(self, request: HttpRequest, object_id: int, job_id: int) -> HttpResponse:
        campaign = self._import_campaign(request, object_id)
        job = get_object_or_404(ImportJob, pk=job_id, campaign=campaign, summary__isnull=False)
        response = HttpResponse(job.report_csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
        return response

    def _render_job(
        self, request: HttpRequest, campaign: Campaign, job: ImportJob, context: dict[str, Any]
    ) -> HttpResponse:
        summary = job.summary or {}
        texts = {rejected["line"]: rejected["text"] for rejected in summary.get("rejected", [])}
        context.update(
            job=job,
            running=job.state in (ImportState.QUEUED, ImportState.RUNNING),
            job_url=reverse("admin:campaigns_campaign_import_job", args=[campaign.pk, job.pk]),
            report_csv_url=reverse(
                "admin:campaigns_campaign_import_report", args=[campaign.pk, job.pk]
            ),
            report=summary or None,
            counts=summary.get("counts", {}),
            errors=[(error, texts.get(error["line"], "")) for error in summary.get("errors", [])],
            parsed=summary.get("parsed", []),
            duplicates=summary.get("duplicates", []),
            do_not_call=summary.get("do_not_call", []),
            preview_lines=settings.IMPORT_REPORT_ENTRIES,
            confirmable=job.dry_run and job.state == ImportState.DONE and job.staged is not None,
            form=ImportForm(),
        )
        return TemplateResponse(request, "admin/campaigns/campaign/import.html", context)

    def _import_confirmed(self, request: HttpRequest, campaign: Campaign) -> HttpResponse:
        job_id = request.POST.get("job", "")
        if not job_id.isdigit():
            raise Http404("Unknown preview")
        preview = ImportJob.objects.filter(
            pk=int(job_id),
            campaign=campaign,
            dry_run=True,
            state=ImportState.DONE,
            staged__isnull=False,
        ).first()
        if preview is None:
            raise Http404("This preview was imported already or has expired; upload it again.")
        try:
            job = confirm_staged(preview, user=request.user)
        except ImportFileError as exc:  # confirmed a moment ago by another request
            raise Http404(str(exc)) from None
        if job.state != ImportState.DONE:
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaign_import_job", args=[campaign.pk, job.pk])
            )
        self.message_user(
            request,
            f"Imported {job.created} targets; {preview.rejected} lines rejected, "
            f"{job.duplicates} duplicates, {job.do_not_call} on the do-not-call list.",
            messages.SUCCESS,
        )
        if job.summary and job.summary.get("notice"):
            self.message_user(request, job.summary["notice"], messages.WARNING)
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
