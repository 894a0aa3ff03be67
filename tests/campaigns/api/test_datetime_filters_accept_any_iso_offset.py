"""Date-time filters with UTC offsets PostgreSQL refuses (beyond +/-15:59) compare in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Target

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/targets/?next_attempt_after=2030-01-01T23:00:00%2B23:00",
        "/api/targets/?next_attempt_before=2030-01-01T00:30:00-23:59",
        "/api/attempts/?created_after=2030-01-01T00:00:00%2B16:00",
        "/api/attempts/?ended_before=2030-01-01T00:00:00-20:00",
    ],
)
def test_an_offset_beyond_postgresqls_range_answers_200(as_viewer, url):
    response = as_viewer.get(url)

    assert response.status_code == 200


def test_the_instant_is_compared_in_utc(as_viewer, campaign):
    due = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    target = Target.objects.create(campaign=campaign, number="+14155550100", next_attempt_at=due)

    # 2030-01-02T11:00+23:00 is 2030-01-01T12:00Z: the target is due at exactly that instant.
    at = "/api/targets/?next_attempt_after=2030-01-02T11:00:00%2B23:00"
    after = "/api/targets/?next_attempt_after=2030-01-02T11:00:01%2B23:00"

    assert [row["id"] for row in as_viewer.get(at).json()["results"]] == [target.pk]
    assert as_viewer.get(after).json()["results"] == []


def test_an_instant_before_year_one_in_utc_is_a_field_error(as_viewer):
    response = as_viewer.get("/api/targets/?next_attempt_after=0001-01-01T00:00:00%2B05:00")

    assert response.status_code == 400
    assert list(response.json()) == ["next_attempt_after"]
