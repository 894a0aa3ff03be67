"""Access tests call many API endpoints as one client: DRF's throttles count in this test's own
namespace of the real Redis cache, so no run trips another's counters."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle


@pytest.fixture(autouse=True)
def throttle_cache(monkeypatch, key_prefix):
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": key_prefix})
    monkeypatch.setattr(SimpleRateThrottle, "cache", cache)
    return cache
