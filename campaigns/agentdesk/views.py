"""The agent's page: the current call's target (a screen-pop), disposition and notes, pause.

An agent logs in as the Django user linked to their Agent row (Agent.user). The page polls
`data.json`: the live call from the floor's Redis list (telephony.floor), the target from the
database once the call is there, and the last answered call still waiting for a disposition.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns.dashboard.floor_views import _body
from campaigns.ids import parse_id
from campaigns.models import Agent, CallAttempt, CampaignMode, Disposition
from campaigns.services.floor.dispositions import DispositionError, set_disposition, target_zone
from campaigns.services.floor.presence import InvalidIntent, set_intent, store
from campaigns.services.floor.snapshot import live_calls, presence_words
from telephony.dialstring import describe_extension

POLL_MILLISECONDS = 1000
DISPOSE_WITHIN = dt.timedelta(hours=2)  # an undisposed call older than this is left alone


def _agent(request: HttpRequest) -> Agent | None:
    return Agent.objects.filter(user_id=request.user.pk).select_related("group").first()


def _not_an_agent() -> JsonResponse:
    return JsonResponse({"detail": "This login is not linked to an agent (Agent.user)."},
                        status=403)


def _agent_required(view: Callable[[HttpRequest, Agent], JsonResponse],
                    ) -> Callable[[HttpRequest], JsonResponse]:
    """A JSON view for the logged-in agent: 401 without a login, 403 for a login with no agent;
    otherwise the view is called with the agent."""
    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Authentication required."}, status=401)
        agent = _agent(request)
        if agent is None:
            return _not_an_agent()
        return view(request, agent)

    return wrapper


def _target(attempt: CallAttempt) -> dict[str, Any]:
    t = attempt.target
    return {"number": t.number, "extension": t.extension,
            "extension_words": describe_extension(t.extension), "reference": t.external_ref,
            "custom_data": t.custom_data, "timezone": target_zone(t), "id": t.id}


def _dispositions(campaign_id: int) -> list[dict[str, Any]]:
    return list(Disposition.objects.filter(campaign_id=campaign_id)
                .values("code", "label", "kind"))


def _with_the_agent(attempt: CallAttempt, state: str) -> bool:
    """The screen-pop: the target shows once the callee is on the line with the agent.

    agent_first: the agent is on their phone before the target is dialled, so from the target's
    answer. target_first: the agent is dialled only after the extension is out (the plan's
    bridge), so only once bridged; before that the agent is still "Reserved" on the floor.
    """
    if attempt.target.campaign.mode == CampaignMode.AGENT_FIRST:
        return state in ("answered", "sending_digits", "connected")
    return state == "connected"


@require_GET
@login_required(login_url="/agent/login/")
def page(request: HttpRequest) -> HttpResponse:
    """The agent's desk."""
    agent = _agent(request)
    return render(request, "agentdesk/page.html", {"agent": agent,
                                                   "poll_ms": POLL_MILLISECONDS,
                                                   "pause_codes": agent.group.pause_code_list()
                                                   if agent and agent.group_id else []},
                  status=200 if agent else 403)


@require_GET
@never_cache
@_agent_required
def data(request: HttpRequest, agent: Agent) -> JsonResponse:
    """State, the current call with its target, and the call waiting for a disposition."""
    now = timezone.now()
    epoch = now.timestamp()
    presence = store().snapshot([agent.presence_key], epoch)[agent.presence_key]
    code, words = presence_words(presence, epoch, timezone.get_current_timezone())
    call = live_calls().for_agents([agent.presence_key]).get(agent.presence_key)
    current = None
    if call is not None:
        current = call.as_dict(epoch)
        attempt = CallAttempt.objects.select_related("target", "target__campaign").filter(
            id=call.attempt_id).first()
        if attempt is not None and _with_the_agent(attempt, call.state):
            current["target"] = _target(attempt)
    pending = (CallAttempt.objects.select_related("target", "target__campaign", "disposition")
               .filter(agent=agent, answered_at__isnull=False, created_at__gte=now -
                       DISPOSE_WITHIN).order_by("-id").first())
    wrapup = None
    if pending is not None and (pending.disposition_id is None or (pending.disposed_at and
                                pending.disposed_at >= now - dt.timedelta(minutes=5))):
        wrapup = {
            "attempt": pending.id,
            "live": pending.ended_at is None,
            "target": _target(pending),
            "campaign": pending.target.campaign.name,
            "dispositions": _dispositions(pending.campaign_id),
            "disposition": pending.disposition.code if pending.disposition else None,
            "notes": pending.disposition_notes,
        }
    return JsonResponse({"agent": agent.name, "sip": agent.presence_key, "state": code,
                         "state_label": words, "call": current, "wrapup": wrapup})


@require_POST
@_agent_required
def dispose(request: HttpRequest, agent: Agent) -> JsonResponse:
    """Set the disposition (and notes, and a call-back time) of one of the agent's calls."""
    body = _body(request)
    errors: dict[str, list[str]] = {}
    attempt_id = parse_id(str(body.get("attempt", "")))
    attempt = (CallAttempt.objects.filter(id=attempt_id, agent=agent).first()
               if attempt_id is not None else None)
    if attempt is None:
        return JsonResponse({"attempt": ["not one of your calls"]}, status=400)
    disposition = Disposition.objects.filter(campaign_id=attempt.campaign_id,
                                             code=str(body.get("disposition", ""))).first()
    if disposition is None:
        errors["disposition"] = ["choose one of this campaign's dispositions"]
    callback_at = None
    raw = str(body.get("callback_at", "") or "")
    if raw:
        try:
            callback_at = dt.datetime.fromisoformat(raw)
        except ValueError:
            errors["callback_at"] = ["a date and time, e.g. 2026-12-02T10:00"]
    if errors:
        return JsonResponse(errors, status=400)
    assert disposition is not None
    same = str(body.get("same_agent", "true")).lower() not in ("false", "0", "off", "")
    try:
        callback = set_disposition(attempt, disposition, notes=str(body.get("notes", "")),
                                   callback_at=callback_at, same_agent=same, actor=request.user,
                                   now=timezone.now())
    except DispositionError as exc:
        field = "callback_at" if exc.code.startswith("callback") else "disposition"
        return JsonResponse({field: [str(exc)]}, status=400)
    return JsonResponse({"attempt": attempt.id, "disposition": disposition.code,
                         "callback": None if callback is None else {
                             "due_at": callback.due_at.isoformat(),
                             "timezone": callback.timezone,
                             "local": callback.due_at.astimezone(
                                 zoneinfo.ZoneInfo(callback.timezone)).isoformat(),
                             "agent": agent.presence_key if callback.agent_id else None}})


@require_POST
@_agent_required
def intent(request: HttpRequest, agent: Agent) -> JsonResponse:
    """The agent pauses (with a reason) or makes themself available."""
    body = _body(request)
    wanted = {"pause": "paused", "resume": "available"}.get(str(body.get("action", "")))
    if wanted is None:
        return JsonResponse({"action": ["pause or resume"]}, status=400)
    try:
        set_intent(agent, wanted, str(body.get("reason", "")), request.user.get_username(),
                   pause_codes_only=True)
    except InvalidIntent as exc:
        return JsonResponse({"reason": [str(exc)]}, status=400)
    return JsonResponse({"intent": wanted})
