"""Callbacks in the admin: listed and edited in the target's zone; an edited time moves the
target."""

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import Callback, TargetState
from tests import factories

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_the_admin_lists_and_reschedules_a_callback(client):
    campaign = factories.make_campaign()
    target = factories.make_target(campaign, timezone="Asia/Tokyo", state=TargetState.RETRY_WAIT)
    due = dt.datetime(2030, 5, 1, 10, 0, tzinfo=TOKYO)
    callback = Callback.objects.create(campaign=campaign, target=target, due_at=due,
                                       timezone="Asia/Tokyo")
    client.force_login(factories.make_superuser())
    listing = client.get("/admin/campaigns/callback/")
    assert listing.status_code == 200
    assert b"2030-05-01 10:00" in listing.content  # shown in the target's zone, not UTC
    # The change form shows the Tokyo wall-clock time, as its help text says.
    form = client.get(f"/admin/campaigns/callback/{callback.pk}/change/")
    assert form.context["adminform"].form.initial["due_at"] == dt.datetime(2030, 5, 1, 10, 0)
    assert b"zone (Asia/Tokyo): wall-clock time there" in form.content
    later = due + dt.timedelta(hours=3)
    response = client.post(f"/admin/campaigns/callback/{callback.pk}/change/", {
        "campaign": campaign.pk, "target": target.pk, "agent": "",
        "due_at_0": "2030-05-01", "due_at_1": "13:00:00",  # typed in Tokyo time
        "timezone": "Asia/Tokyo", "state": "scheduled", "notes": "moved by phone",
    })
    assert response.status_code == 302, response.content[:3000]
    target.refresh_from_db()
    assert target.next_attempt_at == later
    bad = client.post(f"/admin/campaigns/callback/{callback.pk}/change/", {
        "campaign": campaign.pk, "target": target.pk, "due_at_0": "2030-05-01",
        "due_at_1": "10:00:00", "timezone": "Mars/Olympus", "state": "scheduled"})
    assert bad.status_code == 200
    assert bad.context["adminform"].form.errors == {
        "timezone": ["unknown time zone 'Mars/Olympus'"]}
