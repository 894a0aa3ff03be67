"""The API reads campaign weekdays as a list of day names or ISO numbers (or the bit mask), and a
bulk row's `custom_data` object as custom columns."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Target
from tests.factories import make_campaign, make_group, make_trunk


@pytest.fixture
def refs(db):
    return {"trunk": make_trunk().pk, "agent_group": make_group().pk}


@pytest.mark.parametrize(("weekdays", "mask"), [
    (["mon", "tue", "wed", "thu", "fri"], 0b0011111),
    (["Saturday", "SUNDAY"], 0b1100000),
    ([1, 7], 0b1000001),
    (["3"], 0b0000100),
    ([], 0),
    (96, 96),
])
def test_weekdays_as_names_numbers_or_mask(as_supervisor, refs, weekdays, mask):
    response = as_supervisor.post("/api/campaigns/", {"name": "W", **refs,
                                                      "weekdays": weekdays}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["weekdays"] == mask
    assert Campaign.objects.get(pk=response.json()["id"]).weekdays == mask


@pytest.mark.parametrize(("weekdays", "error"), [
    (["funday"], "'funday' is not a day: use mon ... sun, Monday ... Sunday or 1 ... 7."),
    ([0], "'0' is not a day: use mon ... sun, Monday ... Sunday or 1 ... 7."),
    (["m"], "'m' is not a day: use mon ... sun, Monday ... Sunday or 1 ... 7."),
    (128, "A bit mask from 0 to 127, or a list of days: names (mon, Tuesday, ...) or ISO "
          "numbers (1 = Monday ... 7 = Sunday)."),
    (True, "A bit mask from 0 to 127, or a list of days: names (mon, Tuesday, ...) or ISO "
           "numbers (1 = Monday ... 7 = Sunday)."),
])
def test_bad_weekdays_get_a_field_error(as_supervisor, refs, weekdays, error):
    response = as_supervisor.post("/api/campaigns/", {"name": "W", **refs,
                                                      "weekdays": weekdays}, format="json")
    assert (response.status_code, response.json()) == (400, {"weekdays": [error]})


def test_bulk_custom_data_as_an_object(as_supervisor, db):
    campaign = make_campaign(default_region="US")
    response = as_supervisor.post("/api/targets/bulk/", {"campaign": campaign.pk, "targets": [
        {"number": "+14155550100", "custom_data": {"plan": "gold", "seats": 12, "vip": True}},
        {"number": "+14155550101", "region": "west"},
    ]}, format="json")
    assert response.status_code == 201, response.json()
    assert dict(Target.objects.filter(campaign=campaign).values_list("number", "custom_data")) == {
        "+14155550100": {"plan": "gold", "seats": "12", "vip": "true"},
        "+14155550101": {"region": "west"},
    }


def test_bulk_custom_data_may_not_repeat_a_column(as_supervisor, db):
    campaign = make_campaign(default_region="US")
    response = as_supervisor.post("/api/targets/bulk/", {"campaign": campaign.pk, "targets": [
        {"number": "+14155550100", "custom_data": {"Number": "+1", "x": {"deep": 1}}},
    ]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"targets": {"0": ["custom_data repeats a column of the row: "
                                                 "Number"]}}
