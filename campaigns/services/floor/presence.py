"""Django side of presence: agents from the database into Redis, presence out for the API."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

import redis
from django.conf import settings

from campaigns.models import Agent
from telephony.events import TcpDropFormat
from telephony.presence import INTENTS, Intent, PresenceStore, UnknownAgent

log = logging.getLogger(__name__)


class InvalidIntent(ValueError):
    """An intent other than available, paused or logged_out, or a pause without a reason."""


@functools.cache
def _client(url: str) -> redis.Redis:
    """One connection pool per process and Redis URL."""
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)


PERSONAL_GROUP_PREFIX = "~agent:"


def personal_group(agent_key: str) -> str:
    """The presence group holding only this agent (hidden from the agent's listed groups)."""
    return f"{PERSONAL_GROUP_PREFIX}{agent_key}"


def store() -> PresenceStore:
    """The presence store under this deployment's REDIS_KEY_PREFIX."""
    return PresenceStore(_client(settings.REDIS_URL), settings.REDIS_KEY_PREFIX,
                         proxies=[proxy.name for proxy in settings.SIP_PROXIES])


def tcp_drop_format() -> TcpDropFormat:
    """The patched TCP-drop event's subclass and header names, from settings."""
    return TcpDropFormat(
        subclass=settings.PRESENCE_TCP_DROP_SUBCLASS,
        ip_header=settings.PRESENCE_TCP_DROP_IP_HEADER,
        port_header=settings.PRESENCE_TCP_DROP_PORT_HEADER,
    )


def sync_agents(now: float | None = None) -> int:
    """Copy every agent's group, wrap-up and enabled flag from the database into Redis."""
    groups: dict[str, list[tuple[str, int, bool]]] = {}
    rows = Agent.objects.select_related("group").values_list(
        "sip_user", "sip_domain", "group__name", "wrapup_seconds", "enabled", "misconfigured")
    for user, domain, group, wrapup, enabled, misconfigured in rows:
        key = f"{user}@{domain}"
        # A misconfigured agent (SUBSCRIBER_ABSENT) is never routed to until a person clears it.
        routable = enabled and not misconfigured
        groups.setdefault(group, []).append((key, wrapup, routable))
        # A group of one, so a callback can ask for this agent (dialing tries it first).
        groups.setdefault(personal_group(key), []).append((key, wrapup, routable))
    return store().sync_agents(groups, time.time() if now is None else now)


def agent_presence(agents: Iterable[Agent]) -> dict[int, dict[str, Any]]:
    """Presence of each agent by id: registered, intent, activity, routable, registrations."""
    agents = list(agents)
    views = store().snapshot([a.presence_key for a in agents], time.time())
    return {a.id: views[a.presence_key].as_dict() for a in agents}


def set_intent(agent: Agent, intent: str, reason: str, actor: str, *,
               pause_codes_only: bool = False) -> bool:
    """Set an agent's intent (available / paused with a reason / logged_out); True if changed.

    With `pause_codes_only` (the agent's own page) a pause reason must be one of the group's
    pause codes, when it has any; a supervisor may give any reason ("coaching").
    """
    if intent not in INTENTS:
        raise InvalidIntent(f"intent must be one of {', '.join(INTENTS)}")
    if intent == "paused" and not reason.strip():
        raise InvalidIntent("a pause needs a reason")
    if len(reason) > 200:
        raise InvalidIntent("reason is longer than 200 characters")
    codes = agent.group.pause_code_list() if pause_codes_only and agent.group_id else []
    if intent == "paused" and codes:
        # The group's list, matched without regard to case and stored as the list spells it.
        match = {code.lower(): code for code in codes}.get(reason.strip().lower())
        if match is None:
            raise InvalidIntent(f"choose one of this group's pause codes: {', '.join(codes)}")
        reason = match
    checked: Intent = intent  # type: ignore[assignment]
    presence = store()
    try:
        changed = presence.set_intent(agent.presence_key, checked, reason.strip(), actor,
                                      time.time())
    except UnknownAgent:
        # The listener syncs agents every few seconds; a brand-new agent may not be there yet.
        sync_agents()
        changed = presence.set_intent(agent.presence_key, checked, reason.strip(), actor,
                                      time.time())
    log.info("agent %s intent %s by %s", agent.presence_key, intent, actor)
    return changed
