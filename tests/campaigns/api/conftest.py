"""The API's shared world: a supervisor who may act, a viewer who may not, an outsider.

Users get no password (clients authenticate with force_authenticate or a token): hashing one
costs most of a second on a busy machine.

Throttle counters live in the real Redis cache, but under this test's own key prefix, so no
test trips a throttle by accident and parallel runs never share counters.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from campaigns.models import Agent, AgentGroup, Campaign, Node, Trunk


@pytest.fixture(autouse=True)
def throttle_cache(monkeypatch, key_prefix):
    """Point DRF's throttles at a per-test namespace of the real Redis cache."""
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": key_prefix})
    monkeypatch.setattr(SimpleRateThrottle, "cache", cache)
    return cache


@pytest.fixture
def supervisor(db) -> User:
    """A non-staff user in the Supervisors group, which holds every campaigns permission."""
    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.set(Permission.objects.filter(content_type__app_label="campaigns"))
    user = User.objects.create_user("supervisor")
    user.groups.add(group)
    return user


@pytest.fixture
def viewer(db) -> User:
    return User.objects.create_user("viewer")


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("staff", is_staff=True)


@pytest.fixture
def outsider() -> APIClient:
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def as_supervisor(supervisor) -> APIClient:
    client = APIClient()
    client.force_authenticate(supervisor)
    return client


@pytest.fixture
def as_viewer(viewer) -> APIClient:
    client = APIClient()
    client.force_authenticate(viewer)
    return client


@pytest.fixture
def trunk(db) -> Trunk:
    return Trunk.objects.create(name="Carrier A", gateway="carrier_a")


@pytest.fixture
def agent_group(db) -> AgentGroup:
    return AgentGroup.objects.create(name="Sales")


@pytest.fixture
def agent(agent_group) -> Agent:
    return Agent.objects.create(
        name="Ann", sip_user="1001", sip_domain="pbx.example.com", group=agent_group
    )


@pytest.fixture
def node(db) -> Node:
    return Node.objects.create(name="fs1", esl_host="10.0.0.5", esl_password="S3cr3t-ClueCon")


@pytest.fixture
def campaign(trunk, agent_group) -> Campaign:
    return Campaign.objects.create(name="Spring", trunk=trunk, agent_group=agent_group)
