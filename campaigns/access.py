"""Who may see what: the roles, decided in one place (docs/roles-and-access.md).

1. An anonymous visitor sees nothing but the login pages and /healthz.
2. An *agent login* is a user linked to an Agent row (Agent.user) who is not staff. It sees
   the agent page only (its own calls, its campaign's current target): never the dashboards,
   the floor, the statistics, the API or an export.
3. Any other login *watches*: the dashboards, the floor and the API's reads.
4. Acting takes the model permission the action names (or staff, as before).
5. Downloading an export (CSV or XLSX of targets, attempts or agent statistics, from the
   dashboard, the admin or the API) takes `campaigns.export_campaign_data`, a permission of
   its own that neither staff nor any other permission implies (a superuser holds every one).
"""

from __future__ import annotations

from typing import Any

from campaigns.models import Agent

EXPORT_PERMISSION = "campaigns.export_campaign_data"
_AGENT_ONLY = "_switchboard_agent_only"  # cached on the request's user object


def agent_only(user: Any) -> bool:
    """True for a login linked to an agent that is not staff: it sees the agent page only."""
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return False
    cached = getattr(user, _AGENT_ONLY, None)
    if cached is None:
        cached = Agent.objects.filter(user_id=user.pk).exists()
        setattr(user, _AGENT_ONLY, cached)
    return cached


def may_watch(user: Any) -> bool:
    """A login that may read the dashboards, the floor and the API."""
    return bool(user.is_authenticated) and not agent_only(user)


def may_export(user: Any) -> bool:
    """A login that may download exports."""
    return may_watch(user) and bool(user.has_perm(EXPORT_PERMISSION))
