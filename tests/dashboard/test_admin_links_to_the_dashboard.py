"""The admin leads a supervisor to the live dashboard."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_index_links_to_the_live_dashboard(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    html = client.get("/admin/").content.decode()
    assert '<a href="/dashboard/"' in html
    assert "Live dashboard" in html
    # The admin's "View site" goes to "/", which redirects to the dashboard.
    assert client.get("/").headers["Location"] == "/dashboard/"
