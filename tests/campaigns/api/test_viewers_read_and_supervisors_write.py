"""Permissions: a viewer reads only; a supervisor (model permissions) or a staff user writes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from campaigns.models import AgentGroup, Trunk

READ_ONLY = {"detail": "You may read but not change this: ask for the supervisor permission."}


def test_a_viewer_reads_a_campaign(as_viewer, campaign):
    response = as_viewer.get(f"/api/campaigns/{campaign.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Spring"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/agent-groups/", {"name": "Support"}),
        ("patch", "/api/campaigns/{campaign}/", {"name": "Renamed"}),
        ("delete", "/api/campaigns/{campaign}/", None),
        ("post", "/api/campaigns/{campaign}/start/", {}),
        ("post", "/api/campaigns/{campaign}/cancel/", {}),
        (
            "post",
            "/api/targets/bulk/",
            {"campaign": "{campaign}", "targets": [{"number": "+14155550100"}]},
        ),
    ],
)
def test_a_viewer_may_not_write(as_viewer, campaign, method, path, payload):
    url = path.format(campaign=campaign.pk)
    if payload and payload.get("campaign") == "{campaign}":
        payload = {**payload, "campaign": campaign.pk}

    response = getattr(as_viewer, method)(url, payload, format="json")

    assert response.status_code == 403
    assert response.json() == READ_ONLY
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("Spring", "draft")
    assert not AgentGroup.objects.filter(name="Support").exists()
    assert campaign.targets.count() == 0


def test_a_supervisor_creates_an_agent_group(as_supervisor):
    response = as_supervisor.post("/api/agent-groups/", {"name": "Support"}, format="json")

    assert response.status_code == 201
    assert AgentGroup.objects.get(name="Support").pk == response.json()["id"]


def test_a_staff_user_writes_without_model_permissions(staff):
    client = APIClient()
    client.force_authenticate(staff)

    response = client.post("/api/agent-groups/", {"name": "Support"}, format="json")

    assert response.status_code == 201


def test_one_model_permission_allows_only_that_write(viewer, trunk):
    viewer.user_permissions.add(Permission.objects.get(codename="change_trunk"))
    client = APIClient()
    client.force_authenticate(viewer)

    renamed = client.patch(f"/api/trunks/{trunk.pk}/", {"name": "Carrier B"}, format="json")
    deleted = client.delete(f"/api/trunks/{trunk.pk}/")

    assert renamed.status_code == 200
    assert deleted.status_code == 403
    assert Trunk.objects.get(pk=trunk.pk).name == "Carrier B"
