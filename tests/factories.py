"""Reusable factories for the campaign domain: plain functions, unique names, real rows.

Import them from any test package (`from tests.factories import make_campaign`); each takes
keyword overrides for any model field and saves the row.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from campaigns.models import (
    Agent,
    AgentGroup,
    CallAttempt,
    Campaign,
    DoNotCall,
    Node,
    Target,
    Trunk,
)

_serial = itertools.count(1)


def _next() -> int:
    return next(_serial)


def make_trunk(**fields: Any) -> Trunk:
    n = _next()
    fields.setdefault("name", f"carrier-{n}")
    fields.setdefault("gateway", f"carrier{n}")
    return Trunk.objects.create(**fields)


def make_group(**fields: Any) -> AgentGroup:
    fields.setdefault("name", f"group-{_next()}")
    return AgentGroup.objects.create(**fields)


def make_agent(group: AgentGroup | None = None, **fields: Any) -> Agent:
    n = _next()
    fields.setdefault("name", f"Agent {n}")
    fields.setdefault("sip_user", f"{1000 + n}")
    fields.setdefault("sip_domain", "pbx.example.com")
    return Agent.objects.create(group=group or make_group(), **fields)


def make_node(**fields: Any) -> Node:
    n = _next()
    fields.setdefault("name", f"fs{n}")
    fields.setdefault("esl_host", "127.0.0.1")
    fields.setdefault("esl_port", 8021)
    fields.setdefault("esl_password", f"node-secret-{n}")
    return Node.objects.create(**fields)


def make_campaign(
    trunk: Trunk | None = None, agent_group: AgentGroup | None = None, **fields: Any
) -> Campaign:
    fields.setdefault("name", f"Campaign {_next()}")
    return Campaign.objects.create(
        trunk=trunk or make_trunk(), agent_group=agent_group or make_group(), **fields
    )


def make_target(campaign: Campaign, **fields: Any) -> Target:
    fields.setdefault("number", f"+1415555{_next() % 10000:04d}")
    return Target.objects.create(campaign=campaign, **fields)


def make_attempt(target: Target, **fields: Any) -> CallAttempt:
    fields.setdefault("attempt_number", target.call_attempts.count() + 1)
    return CallAttempt.objects.create(target=target, campaign=target.campaign, **fields)


def make_do_not_call(number: str, **fields: Any) -> DoNotCall:
    return DoNotCall.objects.create(number=number, **fields)


def _password(user, password: str | None):
    """Hash a password only when a test logs in with one: hashing is slow by design."""
    if password is None:
        user.set_unusable_password()  # tests log in with client.force_login
    else:
        user.set_password(password)
    user.save()
    return user


def make_superuser(username: str = "admin", password: str | None = None):
    user = get_user_model()(
        username=username, email=f"{username}@example.com", is_staff=True, is_superuser=True
    )
    return _password(user, password)


def make_supervisor(username: str = "supervisor", password: str | None = None):
    """A staff user in the Supervisors group, which holds every campaigns permission."""
    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.set(Permission.objects.filter(content_type__app_label="campaigns"))
    user = _password(get_user_model()(username=username, is_staff=True), password)
    user.groups.add(group)
    return user


def make_viewer(username: str = "viewer", password: str | None = None):
    """A logged-in user with no campaigns permission."""
    return _password(get_user_model()(username=username), password)


def make_dialable(campaign: Campaign) -> Campaign:
    """Give a campaign what starting it needs: an enabled agent in its group, a pending target."""
    if not Agent.objects.filter(group_id=campaign.agent_group_id, enabled=True).exists():
        make_agent(campaign.agent_group)
    make_target(campaign)
    return campaign
