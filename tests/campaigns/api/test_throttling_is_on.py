"""DRF throttling is really applied to the API: a low rate trips it with a 429."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from campaigns.api.views.campaigns import CampaignViewSet


def test_the_api_views_use_the_configured_anon_and_user_throttles():
    throttles = CampaignViewSet().get_throttles()

    assert [type(t) for t in throttles] == [AnonRateThrottle, UserRateThrottle]
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"anon", "user"}


def test_a_user_past_the_rate_gets_429(monkeypatch, as_viewer):
    # DRF copies the rates into the throttle class at import, so the override goes there.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"}
    )

    statuses = [as_viewer.get("/api/campaigns/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = as_viewer.get("/api/campaigns/")
    assert refused.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert 0 < int(refused["Retry-After"]) <= 60


def test_an_anonymous_client_past_the_rate_gets_429(monkeypatch, outsider):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"}
    )

    statuses = [outsider.get("/api/campaigns/").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_password_guessing_for_a_token_is_throttled(monkeypatch, outsider, db):
    rates = {"user": "3/minute", "anon": "2/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    guess = {"username": "admin", "password": "guess"}

    statuses = [outsider.post("/api/auth/token/", guess).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_another_user_is_not_throttled_by_the_first(monkeypatch, as_viewer, as_supervisor):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"}
    )
    for _ in range(3):
        as_viewer.get("/api/campaigns/")

    assert as_viewer.get("/api/campaigns/").status_code == 429
    assert as_supervisor.get("/api/campaigns/").status_code == 200
