"""A supervisor creates, reads, updates and deletes each kind of object, and reads back the same."""

from __future__ import annotations

import pytest

from campaigns.models import Agent, AgentGroup, Campaign, DoNotCall, Node, Trunk


def _payloads(trunk, group):
    return [
        (
            "/api/trunks/",
            Trunk,
            {
                "name": "Carrier Z",
                "gateway": "carrier_z",
                "dial_prefix": "9",
                "caller_id_number": "+14155550100",
                "caller_id_name": "Acme Inc",
            },
            {"cps_limit": 20},
        ),
        (
            "/api/nodes/",
            Node,
            {
                "name": "fs9",
                "esl_host": "fs9.example.net",
                "esl_port": 8022,
                "esl_password": "pw-9",
                "sip_profile": "external",
            },
            {"enabled": False},
        ),
        (
            "/api/agent-groups/",
            AgentGroup,
            {"name": "Night shift", "description": "22-06"},
            {"description": "22-07"},
        ),
        (
            "/api/agents/",
            Agent,
            {
                "name": "Cy",
                "sip_user": "cy.1",
                "sip_domain": "10.1.2.3",
                "group": group.pk,
                "wrapup_seconds": 9,
            },
            {"enabled": False},
        ),
        (
            "/api/do-not-call/",
            DoNotCall,
            {"number": "+4930123456", "reason": "asked"},
            {"reason": "asked twice"},
        ),
        (
            "/api/campaigns/",
            Campaign,
            {
                "name": "Winter",
                "trunk": trunk.pk,
                "agent_group": group.pk,
                "mode": "agent_first",
                "timezone": "Europe/Berlin",
                "default_region": "DE",
                "daily_start": "08:30:00",
                "daily_end": "02:00:00",
                "weekdays": 127,
            },
            {"max_concurrent": 3},
        ),
    ]


@pytest.mark.parametrize("index", range(6))
def test_a_supervisor_creates_reads_updates_and_deletes_it(
    as_supervisor, trunk, agent_group, index
):
    url, model, created, changed = _payloads(trunk, agent_group)[index]
    before = model.objects.count()

    made = as_supervisor.post(url, created, format="json")
    pk = made.json()["id"]
    read = as_supervisor.get(f"{url}{pk}/").json()
    updated = as_supervisor.patch(f"{url}{pk}/", changed, format="json")
    deleted = as_supervisor.delete(f"{url}{pk}/")

    assert made.status_code == 201, made.content
    shown = {k: v for k, v in created.items() if k != "esl_password"}
    assert {k: read[k] for k in shown} == shown
    assert updated.status_code == 200
    assert {k: updated.json()[k] for k in changed} == changed
    assert deleted.status_code == 204
    assert model.objects.count() == before
