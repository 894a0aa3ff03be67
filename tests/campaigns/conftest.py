"""The campaign domain's shared world: a trunk, a group with agents, a campaign, a supervisor."""

from __future__ import annotations

import pytest

from tests.factories import (
    make_agent,
    make_campaign,
    make_group,
    make_superuser,
    make_supervisor,
    make_trunk,
    make_viewer,
)


@pytest.fixture
def trunk(db):
    return make_trunk(name="Carrier", gateway="carrier")


@pytest.fixture
def group(db):
    return make_group(name="Sales")


@pytest.fixture
def agents(group):
    return [make_agent(group, name=f"Agent {i}", sip_user=f"10{i:02d}") for i in range(3)]


@pytest.fixture
def campaign(trunk, group):
    return make_campaign(trunk, group, name="Spring outreach", default_region="US")


@pytest.fixture
def supervisor(db):
    return make_supervisor()


@pytest.fixture
def viewer(db):
    return make_viewer()


@pytest.fixture
def superuser(db):
    return make_superuser()
