"""The demo's data: an admin, a trunk, a group of agents and a campaign of a few hundred targets.

Every function here is idempotent: a second run finds what the first one made and leaves it
alone (the campaign's targets are only added where missing), so `make demo` can run again and
again on one run directory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from campaigns.models import Agent, AgentGroup, Campaign, CampaignStatus, Target, Trunk
from campaigns.services import lifecycle
from campaigns.services.floor.dispositions import add_default_dispositions

ADMIN_USERNAME = "admin"
# The first demo agent's login for the agent page (/agent/login/): agents are not staff.
AGENT_USERNAME = "agent1001"
TRUNK_NAME = "Demo carrier"
GATEWAY = "demo-carrier"
GROUP_NAME = "Demo agents"
CAMPAIGN_NAME = "Demo: spring outreach"
SIP_DOMAIN = "demo.switchboard.test"
# +1 415 777 dddd: valid-looking San Francisco numbers, every one scripted in the emulator. The
# first digit after the base picks the far end's behaviour (demo_agents.OUTCOMES_BY_DIGIT), and
# consecutive targets cycle through it, so every outcome shows up from the first minute.
NUMBER_BASE = "+1415777"
ALL_WEEK = 0b1111111
# Dial around the clock, briskly, with short retry delays so a demo shows retries happening.
CAMPAIGN_SETTINGS = {
    "mode": "target_first", "timezone": "UTC", "weekdays": ALL_WEEK,
    "daily_start": dt.time(0, 0), "daily_end": dt.time(23, 59, 59),
    "calls_per_second": 5, "originate_timeout": 15, "max_attempts": 3,
    "retry_busy_seconds": 30, "retry_no_answer_seconds": 45, "retry_failed_seconds": 60,
    "dtmf_settle_ms": 500, "dtmf_duration_ms": 150,
    # The far ends are attendants: each extension goes once the greeting has finished.
    "connect_plan": "attendant",
}


@dataclass(frozen=True)
class Seeded:
    """What the seed made or found, for the demo's printout."""

    campaign_id: int
    targets: int
    users: tuple[str, ...]
    domain: str


def ensure_admin(password: str) -> bool:
    """Create the admin superuser, or reset its password to the run directory's; True if new."""
    users = get_user_model()
    user, created = users.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return created


def ensure_agent_login(password: str) -> str:
    """Link a login to the first demo agent (made by seed()) with this password; its name."""
    users = get_user_model()
    user, _ = users.objects.get_or_create(username=AGENT_USERNAME)
    user.is_staff = user.is_superuser = False
    user.is_active = True
    user.set_password(password)
    user.save()
    Agent.objects.filter(sip_user=agent_users(1)[0], sip_domain=SIP_DOMAIN).update(user=user)
    return user.get_username()


def agent_users(count: int) -> list[str]:
    """SIP user names of the demo agents: 1001, 1002, ..."""
    return [str(1001 + index) for index in range(count)]


def target_number(index: int) -> str:
    """The demo target number for an index (0 ... 9999): outcome digit, then a serial."""
    return f"{NUMBER_BASE}{index % 10}{index // 10:03d}"


def target_extension(index: int) -> str:
    """An extension suffix: a few digits, some with a pause before them as real menus need."""
    digits = f"{100 + (index * 37) % 900}"
    return f"w{digits}" if index % 3 == 0 else digits


@transaction.atomic
def seed(agent_count: int, target_count: int) -> Seeded:
    """Create (or find) the demo's trunk, agents and campaign with its targets."""
    trunk, _ = Trunk.objects.get_or_create(
        name=TRUNK_NAME,
        defaults={"gateway": GATEWAY, "cps_limit": 20, "max_concurrent": 60,
                  "caller_id_number": "+14157770000", "caller_id_name": "Switchboard demo"},
    )
    group, _ = AgentGroup.objects.get_or_create(
        name=GROUP_NAME, defaults={"description": "Simulated softphones on the emulated nodes"}
    )
    users = agent_users(agent_count)
    for user in users:
        Agent.objects.get_or_create(
            sip_user=user, sip_domain=SIP_DOMAIN,
            defaults={"name": f"Agent {user}", "group": group, "wrapup_seconds": 2},
        )
    # A finished demo campaign stays as history; a rerun dials a fresh one beside it.
    finished = Campaign.objects.filter(
        name__startswith=CAMPAIGN_NAME,
        status__in=[CampaignStatus.COMPLETED, CampaignStatus.CANCELLED],
    ).count()
    name = CAMPAIGN_NAME if not finished else f"{CAMPAIGN_NAME} (run {finished + 1})"
    campaign = Campaign.objects.filter(
        name__startswith=CAMPAIGN_NAME,
        status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING,
                    CampaignStatus.PAUSED],
    ).order_by("-id").first()
    campaign = campaign or Campaign.objects.create(
        name=name, trunk=trunk, agent_group=group, max_concurrent=max(1, agent_count),
        **CAMPAIGN_SETTINGS,
    )
    # The unique (campaign, number, extension) constraint makes a rerun add nothing twice.
    Target.objects.bulk_create(
        (
            Target(campaign=campaign, number=target_number(i), extension=target_extension(i),
                   external_ref=f"demo-{i:04d}")
            for i in range(target_count)
        ),
        ignore_conflicts=True,
        batch_size=1000,
    )
    # What the agent page offers after a call (sale, not interested, call back, ...).
    add_default_dispositions(campaign)
    if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        lifecycle.start(campaign, reason="make demo")
    elif campaign.status == CampaignStatus.PAUSED:
        lifecycle.resume(campaign, reason="make demo")
    return Seeded(
        campaign_id=campaign.pk,
        targets=Target.objects.filter(campaign=campaign).count(),
        users=tuple(users),
        domain=SIP_DOMAIN,
    )
