"""Dashboard views: thin pages that poll JSON snapshots built in
campaigns.services.reporting.dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import EXPORT_PERMISSION, may_export, may_watch
from campaigns.dashboard.cluster import cluster_snapshot, group_agents
from campaigns.errors import IllegalTransition
from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.services.campaign_buttons import CONTROLS, DESTRUCTIVE, campaign_controls
from campaigns.services.floor.snapshot import compute_health, floor_snapshot
from campaigns.services.reporting import exports
from campaigns.services.reporting.cdr_watch import nodes_without_cdrs
from campaigns.services.reporting.dashboard import campaign_snapshot, system_snapshot

POLL_MILLISECONDS = 1500
AGENT_REFUSED = "An agent login sees the agent page only (/agent/)."


def _may(request: HttpRequest, perm: str) -> bool:
    """A supervisor who may act: staff, or holding the model permission."""
    user = request.user
    return bool(user.is_authenticated and (user.is_staff or user.has_perm(perm)))


def _json_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 401 in JSON instead of redirecting a polling script to the login page, and 403
    to an agent login (it sees its own page only: campaigns/access.py)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Authentication required."}, status=401)
        if not may_watch(request.user):
            return JsonResponse({"detail": AGENT_REFUSED}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def watch_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for logins that watch: the login page for a visitor, 403 for an agent login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not may_watch(request.user):
            raise PermissionDenied(AGENT_REFUSED)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def export_required(request: HttpRequest) -> None:
    """Raise 403 unless this login may download exports (its own permission)."""
    if not may_export(request.user):
        raise PermissionDenied(f"Exports need the {EXPORT_PERMISSION} permission.")


@require_GET
@watch_required
def system_page(request: HttpRequest) -> HttpResponse:
    """The whole system: campaigns, call rate, nodes, agents, listener."""
    return render(
        request,
        "dashboard/system.html",
        {"poll_ms": POLL_MILLISECONDS, "cdr_nodes": nodes_without_cdrs(timezone.now())},
    )


@require_GET
@watch_required
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
        {
            "campaign": campaign,
            "admin_url": admin_url,
            "poll_ms": POLL_MILLISECONDS,
            "may_act": _may(request, "campaigns.change_agent"),
            "may_hangup": _may(request, "campaigns.change_callattempt"),
            "controls": campaign_controls(campaign, request.user),
            "controls_next": request.path,
            "exports": exports.export_links(campaign) if may_export(request.user) else [],
        },
    )


@require_POST
@watch_required
def campaign_control(request: HttpRequest, campaign_id: int, verb: str) -> HttpResponse:
    """A lifecycle button (start, pause, resume, cancel) with its optional reason; CSRF-checked."""
    if verb not in dict(CONTROLS):
        raise Http404("No such action")
    if not request.user.has_perm("campaigns.change_campaign"):
        raise PermissionDenied
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    reason = request.POST.get("reason", "").strip()[:200]
    if verb in DESTRUCTIVE and not reason:
        messages.error(request, f"{campaign.name}: say why you cancel it (the reason is "
                                "required).")
        return HttpResponseRedirect(reverse("dashboard:campaign", args=[campaign.pk]))
    try:
        getattr(lifecycle, verb)(campaign, actor=request.user, reason=reason)
    except IllegalTransition as exc:
        messages.error(request, f"{campaign.name}: {exc}")
    else:
        messages.success(request, f"{campaign.name}: {campaign.get_status_display().lower()}.")
        if verb in ("start", "resume"):
            # Say at once why a started campaign will not dial now (outside its window, no
            # agent online, nothing due), instead of leaving the supervisor to wonder.
            now = timezone.now()
            blocked = compute_health(campaign, now, floor_snapshot(now, campaign)["agents"]
                                     )["blocked"]
            if blocked is not None:
                messages.warning(request, f"{campaign.name} will not dial now: "
                                          f"{blocked['text']}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("dashboard:campaign", args=[campaign.pk])
    return HttpResponseRedirect(target)


@require_GET
@watch_required
def campaign_export(request: HttpRequest, campaign_id: int, kind: str, fmt: str) -> HttpResponse:
    """One campaign's call attempts or targets as a streamed CSV or XLSX file."""
    export_required(request)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404("No such export")
    return exports.streaming_response(kind, fmt, campaign_id=campaign.pk)


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
