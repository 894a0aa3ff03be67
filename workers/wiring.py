"""Build the dialer and the results applier of this process from settings (one place).

Both are cheap to build; the expensive parts they hold are per process and fork-safe: the ESL
command pool (`workers.pool`, dropped after fork) and one Redis client per URL (redis-py's pool
notices a fork and reconnects).
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings

from campaigns.services.dialing import Dialer
from campaigns.services.nodes import configured_nodes
from campaigns.services.results import Results
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from workers.pool import get_pool


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process and Redis URL."""
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def dialer() -> Dialer:
    """A Dialer over this process's ESL pool, the shared presence store and pacer."""
    client = redis_client(settings.REDIS_URL)
    prefix = settings.REDIS_KEY_PREFIX
    return Dialer(
        commands=get_pool(),
        pacer=Pacer(client, prefix),
        presence=PresenceStore(client, prefix),
        redis=client,
        prefix=prefix,
        nodes={node.name: node for node in configured_nodes()},
    )


def results() -> Results:
    """The results applier over the shared presence store and pacer."""
    client = redis_client(settings.REDIS_URL)
    prefix = settings.REDIS_KEY_PREFIX
    return Results(
        presence=PresenceStore(client, prefix),
        pacer=Pacer(client, prefix),
        redis=client,
        prefix=prefix,
    )
