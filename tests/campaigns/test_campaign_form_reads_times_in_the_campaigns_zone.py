"""The campaign form: weekdays default to the model's Mon-Fri, the time zone is a picker of IANA
names, and every time a supervisor types is read and shown in the campaign's own zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from campaigns.models import Campaign

TOKYO_NINE = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # 09:00 in Tokyo


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _form_data(trunk, group, **overrides):
    data = {
        "name": "Tokyo", "trunk": trunk.pk, "agent_group": group.pk, "mode": "target_first",
        "default_region": "JP", "timezone": "Asia/Tokyo", "weekdays": ["0", "1", "2", "3", "4"],
        "daily_start": "09:00:00", "daily_end": "17:00:00",
        "starts_at_0": "2026-03-02", "starts_at_1": "09:00:00",
        "ends_at_0": "2026-03-31", "ends_at_1": "18:00:00",
        "max_concurrent": 10, "calls_per_second": 5, "originate_timeout": 30, "max_attempts": 3,
        "retry_busy_seconds": 300, "retry_no_answer_seconds": 900, "retry_failed_seconds": 600,
        "dtmf_settle_ms": 1000, "dtmf_duration_ms": 200, "dtmf_pause_ms": 0,
        "dtmf_comma_pause_ms": 2000,
        # What the add form pre-fills from the model (agent-leg failover and abandons).
        "agent_ring_timeout": 15, "max_agent_failovers": 2, "failover_window_seconds": 20,
        "abandon_message": "tone:500/500/480+620x4", "retry_abandoned_seconds": 3600,
        # ...and listening to the line.
        "connect_plan": "blind", "listen_threshold": 200, "listen_silence_ms": 600,
        "listen_hits": 10, "listen_timeout_ms": 10000, "person_max_ms": 2400,
        "ring_timeout_seconds": 30, "voicemail_action": "hangup",
        "voicemail_message": "tone:400/200/660x3", "retry_voicemail_seconds": 7200,
        "retry_no_person_seconds": 3600,
        # ...what an unknown outcome does, and the pacing under the abandon ceiling.
        "unknown_outcome": "hold", "dial_mode": "progressive", "abandon_ceiling_pct": "3.00",
        "abandon_formula": "us_30d", "dial_ratio": "1.00", "amd_false_positive_pct": "0.00",
        "record_retention_days": 1827,
        "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0,
        "events-MIN_NUM_FORMS": 0, "events-MAX_NUM_FORMS": 1000,
        "dispositions-TOTAL_FORMS": 0, "dispositions-INITIAL_FORMS": 0,
        "dispositions-MIN_NUM_FORMS": 0, "dispositions-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return data


def test_the_add_form_ticks_monday_to_friday_and_offers_iana_zones(admin_client):
    body = admin_client.get(reverse("admin:campaigns_campaign_add")).content.decode()

    ticked = re.findall(r'<input[^>]*name="weekdays"[^>]*value="(\d)"[^>]*checked', body)
    ticked += re.findall(r'<input[^>]*checked[^>]*name="weekdays"[^>]*value="(\d)"', body)
    assert sorted(set(ticked)) == ["0", "1", "2", "3", "4"]
    assert '<select name="timezone"' in body
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in body
    assert "Starts at (in the campaign&#x27;s time zone)" in body
    # The failover and abandon fields come pre-filled with the model's defaults.
    for name in ("agent_ring_timeout", "max_agent_failovers", "failover_window_seconds",
                 "abandon_message", "retry_abandoned_seconds"):
        default = Campaign._meta.get_field(name).default
        assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{re.escape(str(default))}"',
                         body), name


def test_times_typed_for_a_tokyo_campaign_are_tokyo_times(admin_client, trunk, group, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # the server's zone must not matter

    response = admin_client.post(reverse("admin:campaigns_campaign_add"), _form_data(trunk, group))

    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get(name="Tokyo")
    assert campaign.starts_at == TOKYO_NINE
    assert campaign.ends_at == dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC)
    assert campaign.weekdays == 0b0011111

    # And shown back as typed, in Tokyo time.
    page = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    form = page.context["adminform"].form
    assert form.initial["starts_at"] == dt.datetime(2026, 3, 2, 9, 0)


def test_a_free_text_zone_is_refused(admin_client, trunk, group):
    response = admin_client.post(
        reverse("admin:campaigns_campaign_add"), _form_data(trunk, group, timezone="Tokyo time")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "Select a valid choice. Tokyo time is not one of the available choices."
    ]


def test_the_api_reads_a_time_without_offset_in_the_campaigns_zone(trunk, group, superuser):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(superuser)
    body = {"name": "T", "trunk": trunk.pk, "agent_group": group.pk, "timezone": "Asia/Tokyo",
            "starts_at": "2026-03-02T09:00:00", "ends_at": "2026-03-02T10:00:00+00:00"}

    response = client.post("/api/campaigns/", body, format="json")

    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.starts_at == TOKYO_NINE  # no offset: Tokyo wall-clock time
    assert campaign.ends_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # offset: as given


def test_signing_in_without_next_lands_on_the_admin_index(client, superuser):
    superuser.set_password("pw-for-this-test")
    superuser.save()
    response = client.post(
        reverse("admin:login"), {"username": superuser.username, "password": "pw-for-this-test"}
    )
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))


def test_the_changelist_shows_times_in_each_campaigns_zone(admin_client, trunk, group):
    Campaign.objects.create(
        name="Tokyo", trunk=trunk, agent_group=group, timezone="Asia/Tokyo",
        starts_at=TOKYO_NINE,
    )
    body = admin_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert "Starts at (campaign&#x27;s zone)" in body
    assert "2026-03-02 09:00" in body
