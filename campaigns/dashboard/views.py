"""Dashboard views: thin pages that poll JSON snapshots built in campaigns.services.dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns.dashboard.cluster import cluster_snapshot, group_agents
from campaigns.models import Campaign
from campaigns.services.dashboard import campaign_snapshot, system_snapshot

POLL_MILLISECONDS = 1500


def _may(request: HttpRequest, perm: str) -> bool:
    """A supervisor who may act: staff, or holding the model permission."""
    user = request.user
    return bool(user.is_authenticated and (user.is_staff or user.has_perm(perm)))


def _json_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 401 in JSON instead of redirecting a polling script to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Authentication required."}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@login_required
def system_page(request: HttpRequest) -> HttpResponse:
    """The whole system: campaigns, call rate, nodes, agents, listener."""
    return render(
        request,
        "dashboard/system.html",
        {"poll_ms": POLL_MILLISECONDS},
    )


@require_GET
@login_required
def campaign_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One campaign: targets by state, call rate, answer rate, hangup causes."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        admin_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    except NoReverseMatch:  # the admin may not register campaigns in every deployment
        admin_url = ""
    return render(
        request,
        "dashboard/campaign.html",
        {"campaign": campaign, "admin_url": admin_url, "poll_ms": POLL_MILLISECONDS,
         "may_act": _may(request, "campaigns.change_agent"),
         "may_hangup": _may(request, "campaigns.change_callattempt")},
    )


@require_GET
@never_cache
@_json_login_required
def system_data(request: HttpRequest) -> JsonResponse:
    """JSON snapshot of the whole system."""
    now = timezone.now()
    return JsonResponse({**system_snapshot(now), "cluster": cluster_snapshot(now)})


@require_GET
@never_cache
@_json_login_required
def campaign_data(request: HttpRequest, campaign_id: int) -> JsonResponse:
    """JSON snapshot of one campaign."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    now = timezone.now()
    return JsonResponse(
        {**campaign_snapshot(campaign, now), "agents": group_agents(campaign.agent_group_id, now)}
    )
