"""Target search matches a whole number, never a substring (which would scan every target)."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from campaigns.models import Target
from tests.factories import make_campaign


@pytest.mark.django_db
def test_target_search_matches_whole_numbers():
    user = get_user_model().objects.create_user("viewer", password="pw-123456789")
    client = APIClient()
    client.force_authenticate(user)
    campaign = make_campaign()
    target = Target.objects.create(campaign=campaign, number="+14155550100", extension="12")
    Target.objects.create(campaign=campaign, number="+14155550199", extension="12")
    whole = client.get("/api/targets/", {"search": "+14155550100"})
    assert [row["id"] for row in whole.json()["results"]] == [target.pk]
    partial = client.get("/api/targets/", {"search": "4155550"})
    assert partial.status_code == 200
    assert partial.json()["results"] == []
