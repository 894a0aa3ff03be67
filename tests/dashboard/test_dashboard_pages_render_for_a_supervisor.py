"""A logged-in supervisor gets both pages, with the campaign's name escaped."""

import pytest

pytestmark = pytest.mark.django_db


def test_system_page_renders_with_its_data_url_and_offline_assets(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-url="/dashboard/data/system.json"' in html
    assert "/static/dashboard/charts.js" in html
    assert "http://" not in html and "https://" not in html  # no CDN: works offline


def test_campaign_page_escapes_the_campaign_name(client, supervisor, campaign):
    client.force_login(supervisor)
    response = client.get(f"/dashboard/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spring &lt;b&gt;outreach&lt;/b&gt;" in html
    assert "<b>outreach</b>" not in html
    assert f'data-url="/dashboard/data/campaigns/{campaign.pk}.json"' in html


def test_campaign_page_of_a_missing_campaign_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get("/dashboard/campaigns/999999999/").status_code == 404
