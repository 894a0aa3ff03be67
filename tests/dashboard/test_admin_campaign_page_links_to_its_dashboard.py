"""The campaign's admin page offers a "View on site" link that leads to its live dashboard."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_campaign


@pytest.mark.django_db
def test_admin_campaign_page_links_to_its_dashboard(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-123456789")
    client.force_login(user)
    campaign = make_campaign()
    page = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    assert page.status_code == 200
    links = re.findall(r'href="(/admin/r/\d+/\d+/)"', page.content.decode())
    assert links, "no View on site link on the campaign page"
    followed = client.get(links[0])
    assert followed.status_code == 302
    assert followed["Location"].endswith(f"/dashboard/campaigns/{campaign.pk}/")
