"""Adding a target in the admin normalises its number and refuses what the grammar refuses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Target


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def form(campaign, **fields):
    data = {
        "campaign": campaign.pk,
        "number": "",
        "extension": "",
        "external_ref": "",
        "timezone": "",
        "custom_data": "{}",
        "call_attempts-TOTAL_FORMS": "0",
        "call_attempts-INITIAL_FORMS": "0",
        "call_attempts-MIN_NUM_FORMS": "0",
        "call_attempts-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_a_number_written_like_a_phone_is_stored_in_e164_with_its_extension(admin_client, campaign):
    response = admin_client.post(
        reverse("admin:campaigns_target_add"), form(campaign, number="(212) 555-0100,,567")
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.number, target.extension, target.timezone) == (
        "+12125550100",
        ",,567",
        "America/New_York",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"number": "12"}, "not a valid phone number"),
        (
            {"number": "(212) 555-0100", "extension": "1}2"},
            "extension may contain only 0-9 * # A-D, commas and w/W pauses",
        ),
    ],
)
def test_a_bad_number_or_extension_is_refused_on_the_form(admin_client, campaign, fields, message):
    response = admin_client.post(reverse("admin:campaigns_target_add"), form(campaign, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Target.objects.exists()


def test_a_duplicate_of_an_existing_target_is_refused(admin_client, campaign):
    url = reverse("admin:campaigns_target_add")
    assert admin_client.post(url, form(campaign, number="+12125550100")).status_code == 302
    again = admin_client.post(url, form(campaign, number="(212) 555-0100"))
    assert again.status_code == 200
    assert "Target with this Campaign, Number and Extension already exists." in (
        again.content.decode()
    )
    assert Target.objects.count() == 1
