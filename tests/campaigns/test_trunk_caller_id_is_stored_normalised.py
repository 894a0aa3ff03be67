"""A trunk's (and a campaign's) caller ID accepts what people type and is stored normalised, by
one rule shared by the admin and the API; the dial prefix has one rule and one message too."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Trunk
from telephony.dialstring import DialstringError, normalize_caller_id_number

TYPED = [
    ("+1 415 555 9999", "+14155559999"),
    ("(415) 555-9999", "4155559999"),
    ("+1.415.555.9999", "+14155559999"),
    ("+44 (0)20 7946 0958", "+4402079460958"),
    ("4155559999", "4155559999"),
]
CHARSET = "caller ID number may contain only digits and a leading +"
REFUSED = [
    ("415 555 9999\n", CHARSET),
    ("+1 415 555 9999 ext 2", CHARSET),
    ("1+415", CHARSET),
    ("١٢٣", CHARSET),
    ("+1 415 555 9999 1234 5678 9", "caller ID number is longer than 20 characters"),
]


@pytest.mark.parametrize(("typed", "stored"), TYPED)
def test_typed_caller_ids_normalise(typed, stored):
    assert normalize_caller_id_number(typed) == stored


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_what_is_not_a_caller_id_is_refused_with_the_exact_message(typed, message):
    with pytest.raises(DialstringError) as caught:
        normalize_caller_id_number(typed)
    assert str(caught.value) == message


def test_the_admin_stores_the_normalised_caller_id(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:campaigns_trunk_add"),
        {"name": "Carrier", "gateway": "carrier", "dial_prefix": "", "caller_id_number":
         "+1 415 555 9999", "caller_id_name": "", "cps_limit": 10, "max_concurrent": 100,
         "enabled": "on"},
    )
    assert response.status_code == 302
    assert Trunk.objects.get(name="Carrier").caller_id_number == "+14155559999"


def test_the_api_stores_the_same_normalised_caller_id(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    response = client.post(
        "/api/trunks/",
        {"name": "Carrier", "gateway": "carrier", "caller_id_number": "+1 415 555 9999"},
        format="json",
    )
    assert (response.status_code, response.json()["caller_id_number"]) == (201, "+14155559999")


@pytest.mark.parametrize("prefix", ["9,", "١٢", "9 1"])
def test_the_dial_prefix_has_one_rule_and_one_message(prefix, superuser):
    message = "dial prefix may contain only the digits 0-9"
    with pytest.raises(ValidationError) as caught:
        Trunk(name="x", gateway="gw", dial_prefix=prefix).clean()
    assert caught.value.message_dict == {"dial_prefix": [message]}
    client = APIClient()
    client.force_authenticate(superuser)
    body = {"name": "x", "gateway": "gw", "dial_prefix": prefix}
    assert client.post("/api/trunks/", body, format="json").json() == {"dial_prefix": [message]}
