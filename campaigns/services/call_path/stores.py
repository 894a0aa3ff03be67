"""The call path's Redis stores for this deployment: one connection pool per process, the
pacing buckets and live-call sets, and presence (a leaf: the tick and the pacer's seam both use
it, neither through the other)."""

from __future__ import annotations

import functools

import redis
from django.conf import settings

from telephony.pacing import Pacer
from telephony.presence import PresenceStore


@functools.cache
def _client(url: str) -> redis.Redis:
    """One connection pool per process and Redis URL."""
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def pacer() -> Pacer:
    """Buckets and live-call sets under this deployment's prefix."""
    return Pacer(redis_client(), settings.REDIS_KEY_PREFIX)


def presence() -> PresenceStore:
    return PresenceStore(redis_client(), settings.REDIS_KEY_PREFIX,
                         proxies=[proxy.name for proxy in settings.SIP_PROXIES])
