"""Every admin changelist, add and change page renders for a logged-in superuser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_attempt, make_do_not_call, make_node, make_target

MODELS = ["trunk", "node", "agentgroup", "agent", "campaign", "target", "callattempt", "donotcall"]
READ_ONLY = {"callattempt"}


@pytest.fixture
def world(campaign, agents):
    target = make_target(campaign, number="+12125550100", extension="567")
    return {
        "trunk": campaign.trunk,
        "node": make_node(name="fs1"),
        "agentgroup": campaign.agent_group,
        "agent": agents[0],
        "campaign": campaign,
        "target": target,
        "callattempt": make_attempt(target, agent=agents[0], hangup_cause="NORMAL_CLEARING"),
        "donotcall": make_do_not_call("+12125550199"),
    }


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_changelist_add_and_change_pages_render(admin_client, world, model):
    change_url = reverse(f"admin:campaigns_{model}_change", args=[world[model].pk])
    changelist = admin_client.get(reverse(f"admin:campaigns_{model}_changelist"))
    assert changelist.status_code == 200
    assert change_url.encode() in changelist.content  # the row links to its page

    change = admin_client.get(change_url)
    assert change.status_code == 200

    add = admin_client.get(reverse(f"admin:campaigns_{model}_add"))
    assert add.status_code == (403 if model in READ_ONLY else 200)


@pytest.mark.parametrize(
    ("model", "term", "found"),
    [
        ("target", "(212) 555-0100", True),
        ("target", "+1 212 555 0101", False),
        ("callattempt", "(212) 555-0100", True),
        ("donotcall", "+1 (212) 555-0199", True),
    ],
)
def test_admin_search_finds_numbers_in_any_notation(admin_client, world, model, term, found):
    page = admin_client.get(reverse(f"admin:campaigns_{model}_changelist"), {"q": term})
    assert page.status_code == 200
    change_url = reverse(f"admin:campaigns_{model}_change", args=[world[model].pk])
    assert (change_url.encode() in page.content) is found


def test_the_campaign_change_page_shows_progress_and_the_import_link(admin_client, world):
    campaign = world["campaign"]
    page = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    body = page.content.decode()
    assert re.search(r"<th[^>]*>Pending</th><td>1</td>", body)
    assert re.search(r"<th[^>]*>attempts</th><td>1</td>", body)
    assert reverse("admin:campaigns_campaign_import", args=[campaign.pk]) in body


def test_the_campaign_form_saves_weekday_checkboxes_as_a_bit_mask(admin_client, world):
    campaign = world["campaign"]
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"weekdays": ["0", "2", "6"], "caller_id_name": "ACME Sales"})
    for key in ("starts_at", "ends_at"):
        data.pop(key, None)
    for key, value in list(data.items()):
        if hasattr(value, "pk"):
            data[key] = value.pk
    data.update(
        {
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
            "dispositions-TOTAL_FORMS": "0",
            "dispositions-INITIAL_FORMS": "0",
            "dispositions-MIN_NUM_FORMS": "0",
            "dispositions-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.weekdays == 0b1000101
    assert campaign.caller_id_name == "ACME Sales"
