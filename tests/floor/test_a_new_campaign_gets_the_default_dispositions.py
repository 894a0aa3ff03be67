"""A campaign created in the admin or through the API starts with the default dispositions
(sale, not interested, ...), unless the admin's inline already gave it a list; the agent page
preselects none and explains an empty list."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Campaign, Disposition
from campaigns.models.floor import DEFAULT_DISPOSITIONS
from tests.factories import make_group, make_superuser, make_trunk

DEFAULT_CODES = [code for code, _label, _kind in DEFAULT_DISPOSITIONS]
STATIC = Path(__file__).resolve().parents[2] / "campaigns" / "static" / "agentdesk"


def codes(campaign: Campaign) -> list[str]:
    return list(Disposition.objects.filter(campaign=campaign).order_by("position", "id")
                .values_list("code", flat=True))


def test_a_campaign_created_through_the_api_gets_the_defaults(db):
    client = APIClient()
    client.force_authenticate(make_superuser())
    response = client.post("/api/campaigns/", {
        "name": "API made", "trunk": make_trunk().pk, "agent_group": make_group().pk,
    }, format="json")
    assert response.status_code == 201, response.json()
    assert codes(Campaign.objects.get(pk=response.json()["id"])) == DEFAULT_CODES


def admin_form(client) -> dict[str, str]:
    """The add form's own initial values (every field and the inline's management form)."""
    import re

    body = client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]+>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="checkbox"' in tag or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for select in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select[1])
        data[select[0]] = chosen.group(1) if chosen else ""
    return data


def test_a_campaign_created_in_the_admin_gets_the_defaults(client, db):
    client.force_login(make_superuser())
    data = admin_form(client)
    data.update(name="Admin made", trunk=str(make_trunk().pk),
                agent_group=str(make_group().pk))
    response = client.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if (
        response.context) else response
    assert codes(Campaign.objects.get(name="Admin made")) == DEFAULT_CODES


def test_the_agent_page_preselects_no_disposition_and_explains_an_empty_list():
    script = (STATIC / "agentdesk.js").read_text()
    assert 'none.value = ""' in script and 'select.value = w.disposition || ""' in script
    assert '$("dispose-empty").hidden = w.dispositions.length > 0' in script
