"""Dashboard pages send strangers to the admin login; its JSON answers 401 to them."""

import pytest

pytestmark = pytest.mark.django_db


def test_system_page_redirects_an_anonymous_visitor_to_the_admin_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/"


def test_campaign_page_redirects_an_anonymous_visitor_to_the_admin_login(client, campaign):
    response = client.get(f"/dashboard/campaigns/{campaign.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize(
    "path", ["/dashboard/data/system.json", "/dashboard/data/campaigns/1.json"]
)
def test_json_endpoints_answer_401_to_an_anonymous_client(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}


def test_site_root_sends_a_visitor_to_the_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
