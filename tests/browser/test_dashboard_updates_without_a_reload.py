"""A supervisor logs in, opens a campaign's dashboard, and sees new figures without reloading."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from campaigns.models import AgentGroup, Campaign, Target, Trunk
from tests.browser.conftest import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _targets(campaign, count, start):
    Target.objects.bulk_create(
        Target(campaign=campaign, number=f"+1415555{start + i:04d}", extension="7")
        for i in range(count)
    )


def test_campaign_dashboard_counts_new_targets_live(live_server, page):
    get_user_model().objects.create_superuser("boss", password="boss-pw-for-tests")
    campaign = Campaign.objects.create(
        name="Live <script>alert(1)</script>",
        trunk=Trunk.objects.create(name="carrier", gateway="carrier"),
        agent_group=AgentGroup.objects.create(name="sales"),
    )
    _targets(campaign, 12, 0)
    cache.delete(f"dashboard:campaign:{campaign.pk}")

    admin_login(page, live_server.url, "boss", "boss-pw-for-tests")
    page.goto(f"{live_server.url}/dashboard/campaigns/{campaign.pk}/")
    page.wait_for_function("document.getElementById('targets-total').textContent === '12'")
    page.evaluate("window.__notReloaded = true")
    assert page.text_content("#campaign-name") == "Live <script>alert(1)</script>"
    # The chart of targets by state is drawn as SVG with one bar per state.
    assert page.locator("#chart-states svg rect").count() == 8

    _targets(campaign, 5, 100)
    cache.delete(f"dashboard:campaign:{campaign.pk}")
    page.wait_for_function("document.getElementById('targets-total').textContent === '17'")
    assert page.evaluate("window.__notReloaded") is True
    assert "updated" in page.text_content("#refresh-status")
