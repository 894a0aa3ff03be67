"""An attempt whose outcome was lost is `unknown`: counted in the stats, listed by the attempts
API under that value, and shown in the admin (with the CDRs FreeSWITCH posted)."""

from __future__ import annotations

import datetime as dt
import uuid

from campaigns.models import CallDetailRecord
from tests.factories import make_attempt, make_superuser, make_target


def test_unknown_is_counted_in_the_stats_and_filtered_by_the_api(as_viewer, campaign):
    for _ in range(2):
        make_attempt(make_target(campaign, state="retry_wait"), outcome="unknown",
                     hangup_cause="OUTCOME_UNKNOWN", counts_as_attempt=False)
    make_attempt(make_target(campaign, state="completed"), outcome="answered")

    stats = as_viewer.get(f"/api/campaigns/{campaign.pk}/stats/").json()
    assert stats["attempts"]["by_outcome"]["unknown"] == 2
    assert stats["attempts"]["by_outcome"]["answered"] == 1
    listed = as_viewer.get("/api/attempts/", {"outcome": "unknown"}).json()
    assert [row["outcome"] for row in listed["results"]] == ["unknown", "unknown"]


def test_the_admin_shows_unknown_attempts_and_their_cdrs(client, campaign):
    attempt = make_attempt(make_target(campaign), outcome="unknown")
    CallDetailRecord.objects.create(leg_uuid=uuid.uuid4(), attempt=attempt, leg="target",
                                    source="sweep_json", hangup_cause="NORMAL_CLEARING",
                                    received_at=dt.datetime.now(tz=dt.UTC))
    client.force_login(make_superuser())
    page = client.get("/admin/campaigns/callattempt/", {"outcome__exact": "unknown"})
    assert page.status_code == 200 and "Unknown (outcome lost)" in page.content.decode()
    cdrs = client.get("/admin/campaigns/calldetailrecord/")
    assert cdrs.status_code == 200 and "sweep_json" in cdrs.content.decode()
