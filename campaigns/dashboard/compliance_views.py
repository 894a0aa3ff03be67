"""A campaign's compliance evidence: a page and a CSV export for any period of days."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from campaigns.models import Campaign
from campaigns.services.reporting import compliance

MAX_DAYS = 400  # one query per day for the 24-hour rows: bounded


def _period(request: HttpRequest, campaign: Campaign
            ) -> tuple[dt.datetime, dt.datetime, dict[str, str]]:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD, inclusive days in the campaign's zone; by default the
    30 days ending today (the US window)."""
    today = timezone.localtime(timezone.now(), campaign.zone).date()
    defaults = {"start": today - dt.timedelta(days=29), "end": today}
    errors: dict[str, str] = {}
    days = {}
    for name in ("start", "end"):
        raw = request.GET.get(name, "")
        try:
            days[name] = dt.date.fromisoformat(raw) if raw else defaults[name]
        except ValueError:
            errors[name] = "a date as YYYY-MM-DD"
            days[name] = defaults[name]
    if days["end"] < days["start"]:
        errors["end"] = "the end is before the start"
    elif (days["end"] - days["start"]).days >= MAX_DAYS:
        errors["end"] = f"a period of at most {MAX_DAYS} days"
    start = dt.datetime.combine(days["start"], dt.time(), tzinfo=campaign.zone)
    end = dt.datetime.combine(days["end"] + dt.timedelta(days=1), dt.time(), tzinfo=campaign.zone)
    return start, end, errors


@require_GET
@login_required
def compliance_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Answered, abandoned, both formulas, AMD estimate, message proof, retention; ?format=csv."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    start, end, errors = _period(request, campaign)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "csv"):
        errors["format"] = "csv, or nothing for the page"
    if errors and fmt:
        return JsonResponse(errors, status=400)
    if fmt == "csv":
        name = f"compliance-{campaign.pk}-{start:%Y-%m-%d}-{(end - dt.timedelta(days=1)):%Y-%m-%d}"
        response = HttpResponse(compliance.export_csv(campaign, start, end),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    whole = None if errors else compliance.evidence(campaign, start, end)
    days = [] if errors else compliance.daily(campaign, start, end)
    return render(request, "dashboard/compliance.html", {
        "campaign": campaign, "whole": whole, "days": days, "errors": errors,
        "start": start.date(), "end": (end - dt.timedelta(days=1)).date(),
        "query": request.GET.urlencode(), "poll_ms": 0,
        "ceiling": float(campaign.abandon_ceiling_pct) / 100,
    }, status=400 if errors else 200)
