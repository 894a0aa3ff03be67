"""The campaign admin's own pages: the import wizard (upload, preview, confirm, progress)
and lead recycling. CampaignAdmin routes to them (its get_urls)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from campaigns.admin.campaign_forms import ImportForm, RecycleForm
from campaigns.errors import IllegalTransition, ImportFileError, RecycleError
from campaigns.ids import parse_id
from campaigns.imports import confirm_staged, start_file_import
from campaigns.models import (
    Campaign,
    ImportJob,
    ImportState,
)
from campaigns.services import lifecycle

# A preview nobody confirmed keeps its validated rows this long, then they are dropped.
PREVIEW_MAX_AGE = dt.timedelta(days=1)


def _drop_abandoned_previews(now: dt.datetime) -> None:
    """Forget the staged rows of previews left unconfirmed for more than a day."""
    ImportJob.objects.filter(
        dry_run=True, staged__isnull=False, created_at__lt=now - PREVIEW_MAX_AGE
    ).update(staged=None)


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


class CampaignPages:
    """The import and recycling views, mixed into CampaignAdmin (they use its permissions)."""

    # --- Lead recycling: reset chosen outcomes for another pass ---------------------------

    def recycle_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=object_id)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        form = RecycleForm(request.POST or None, campaign=campaign)
        if request.method == "POST" and form.is_valid():
            try:
                reset = lifecycle.recycle(
                    campaign,
                    form.cleaned_data["outcomes"],
                    dispositions=[int(pk) for pk in form.cleaned_data["dispositions"]],
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
    # The upload passes the API's checks (campaigns.imports.read_upload) and is
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
        job_id = parse_id(request.POST.get("job", ""))
        if job_id is None:
            raise Http404("Unknown preview")
        preview = ImportJob.objects.filter(
            pk=job_id,
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
