"""The supervisor's floor: agents and live calls (JSON for polling), actions, history, stats.

Views stay thin: they parse, check the permission, call a service and answer. Actions are
POSTs under Django's CSRF protection; each is written to the admin's log (who, what, why).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import may_export
from campaigns.dashboard.views import (
    POLL_MILLISECONDS,
    _json_login_required,
    _may,
    export_required,
    watch_required,
)
from campaigns.ids import parse_id
from campaigns.models import Agent, AgentGroup, CallAttempt, Campaign
from campaigns.services.audit import audit
from campaigns.services.controls import request_hangup
from campaigns.services.floor.presence import InvalidIntent, set_intent
from campaigns.services.floor.snapshot import compute_health, floor_snapshot, live_calls
from campaigns.services.reporting.agent_stats import agent_stats, stats_rows
from campaigns.services.reporting.history import history
from campaigns.spreadsheets import CSV_TYPE, XLSX_TYPE, stream_csv, stream_xlsx
from telephony.dialstring import DialstringError, validate_uuid

INTENT_ACTIONS = {"pause": "paused", "resume": "available", "logout": "logged_out"}


def _watch_only(request: HttpRequest, permission: str) -> JsonResponse | None:
    """The 403 for a user who may watch the floor but lacks `permission` to act; else None."""
    if _may(request, permission):
        return None
    return JsonResponse({"detail": "You may watch but not act: ask for the supervisor "
                                   f"permission ({permission})."}, status=403)


def _body(request: HttpRequest) -> dict[str, Any]:
    """Form fields or a JSON object; anything else reads as empty."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _audit(request: HttpRequest, obj: Any, message: str) -> None:
    """Write the action to the admin's log ("Recent actions"): the supervisors' audit trail."""
    audit(request.user, obj, message)


@require_GET
@watch_required
def floor_page(request: HttpRequest) -> HttpResponse:
    """Every agent and every live call, live."""
    return render(request, "dashboard/floor.html", {
        "poll_ms": POLL_MILLISECONDS,
        "may_act": _may(request, "campaigns.change_agent"),
        "may_hangup": _may(request, "campaigns.change_callattempt"),
    })


@require_GET
@never_cache
@_json_login_required
def floor_data(request: HttpRequest) -> JsonResponse:
    """The whole floor as JSON (agents, live calls)."""
    return JsonResponse(floor_snapshot(timezone.now()))


@require_GET
@never_cache
@_json_login_required
def campaign_floor_data(request: HttpRequest, campaign_id: int) -> JsonResponse:
    """One campaign's agents (its group), live calls and health."""
    campaign = get_object_or_404(Campaign.objects.select_related("trunk"), pk=campaign_id)
    now = timezone.now()
    floor = floor_snapshot(now, campaign)
    return JsonResponse({**floor, "health": compute_health(campaign, now, floor["agents"])})


@require_POST
@_json_login_required
def agent_intent(request: HttpRequest, agent_id: int) -> JsonResponse:
    """Pause (with a reason), resume or log out an agent: a supervisor's action."""
    if (refused := _watch_only(request, "campaigns.change_agent")) is not None:
        return refused
    agent = get_object_or_404(Agent, pk=agent_id)
    data = _body(request)
    action = str(data.get("action", ""))
    if action not in INTENT_ACTIONS:
        return JsonResponse({"action": [f"one of {', '.join(INTENT_ACTIONS)}"]}, status=400)
    reason = str(data.get("reason", ""))
    try:
        changed = set_intent(agent, INTENT_ACTIONS[action], reason, request.user.get_username())
    except InvalidIntent as exc:
        return JsonResponse({"reason": [str(exc)]}, status=400)
    _audit(request, agent, f"{action}" + (f": {reason.strip()}" if reason.strip() else ""))
    return JsonResponse({"agent": agent.presence_key, "intent": INTENT_ACTIONS[action],
                         "reason": reason.strip(), "changed": changed})


@require_POST
@_json_login_required
def hangup(request: HttpRequest, call_uuid: str) -> JsonResponse:
    """Hang up one live call through the node's ESL (a control task on the worker's pool)."""
    if (refused := _watch_only(request, "campaigns.change_callattempt")) is not None:
        return refused
    try:
        checked = validate_uuid(call_uuid)
    except DialstringError as exc:
        return JsonResponse({"uuid": [str(exc)]}, status=400)
    calls = live_calls().get_many([checked])
    if not calls:
        return JsonResponse({"detail": "This call is no longer live."}, status=404)
    call = calls[0]
    request_hangup(call.node, checked, request.user.get_username())
    attempt = CallAttempt.objects.filter(uuid=checked).first()
    if attempt is not None:
        _audit(request, attempt, f"hung up call {checked} on {call.node}")
    return JsonResponse({"uuid": checked, "node": call.node, "queued": True}, status=202)


@require_GET
@never_cache
@_json_login_required
def history_data(request: HttpRequest) -> JsonResponse:
    """Per-hour or per-day figures, system-wide or for ?campaign=<id>."""
    step = request.GET.get("step", "hour")
    if step not in ("hour", "day"):
        return JsonResponse({"step": ["hour or day"]}, status=400)
    campaign = None
    if request.GET.get("campaign"):
        campaign_id = parse_id(request.GET["campaign"])
        if campaign_id is None:
            return JsonResponse({"campaign": ["a campaign id"]}, status=400)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
    return JsonResponse(history(timezone.now(), step, campaign))


def _period(request: HttpRequest) -> tuple[dt.datetime, dt.datetime, dict[str, str]]:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD (inclusive days, server zone); today by default."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(timezone.now(), zone).date()
    errors: dict[str, str] = {}
    days = {}
    for name in ("start", "end"):
        raw = request.GET.get(name, "")
        try:
            days[name] = dt.date.fromisoformat(raw) if raw else today
        except ValueError:
            errors[name] = "a date as YYYY-MM-DD"
            days[name] = today
    if days["end"] < days["start"]:
        errors["end"] = "the end is before the start"
    start = dt.datetime.combine(days["start"], dt.time(), tzinfo=zone)
    end = dt.datetime.combine(days["end"] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end, errors


@require_GET
@watch_required
def agent_stats_page(request: HttpRequest) -> HttpResponse:
    """Per-agent statistics for a chosen period, as a table or an export (?format=csv|xlsx)."""
    start, end, errors = _period(request)
    group_id = request.GET.get("group", "")
    group = parse_id(group_id) if group_id else None
    if group_id and group is None:
        errors["group"] = "an agent group id"
    fmt = request.GET.get("format", "")
    if errors:
        if fmt:
            return JsonResponse(errors, status=400)
        rows: list[dict[str, Any]] = []
    else:
        rows = agent_stats(start, end, group)
    if fmt in ("csv", "xlsx"):
        export_required(request)
        name = f"agent-stats-{start:%Y-%m-%d}-{(end - dt.timedelta(days=1)):%Y-%m-%d}.{fmt}"
        body = (stream_csv(stats_rows(rows)) if fmt == "csv"
                else stream_xlsx(stats_rows(rows), sheet="Agent statistics"))
        response = StreamingHttpResponse(body, content_type=CSV_TYPE if fmt == "csv"
                                         else XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if fmt:
        return JsonResponse({"format": ["csv or xlsx"]}, status=400)
    return render(request, "dashboard/agent_stats.html", {
        "rows": rows, "errors": errors, "groups": AgentGroup.objects.order_by("name"),
        "group": group, "start": start.date(), "end": (end - dt.timedelta(days=1)).date(),
        "query": request.GET.urlencode(), "poll_ms": 0,
        "may_export": may_export(request.user),
    }, status=400 if errors else 200)
