"""`python manage.py listen`: run the FreeSWITCH event listener (telephony.listener)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from campaigns.services.call_path.nodes import configured_nodes
from campaigns.services.floor.presence import sync_agents, tcp_drop_format
from telephony.listener import Listener, ListenerConfig

log = logging.getLogger("switchboard.listener")
T = TypeVar("T")


def _fresh(read: Callable[[], T]) -> Callable[[], T]:
    """Run a database read on a healthy connection: this process lives for weeks."""
    def call() -> T:
        close_old_connections()
        try:
            return read()
        finally:
            close_old_connections()
    return call


class Command(BaseCommand):
    help = "Hold one ESL event connection per FreeSWITCH node and feed presence and events."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--owner-lease", type=float, default=10.0,
                            help="Seconds a node's ownership lease lasts (failover speed)")
        parser.add_argument("--agent-sync", type=float, default=5.0,
                            help="Seconds between agent syncs from the database")

    def handle(self, *args: Any, **options: Any) -> None:
        config = ListenerConfig(
            prefix=settings.REDIS_KEY_PREFIX,
            drop=tcp_drop_format(),
            grace_seconds=settings.PRESENCE_NODE_GRACE_SECONDS,
            reconcile_seconds=settings.PRESENCE_RECONCILE_SECONDS,
            flush_stale_after_restart=settings.PRESENCE_FLUSH_STALE_AFTER_RESTART,
            owner_lease_seconds=options["owner_lease"],
            agent_sync_seconds=options["agent_sync"],
            connect_timeout=settings.ESL_CONNECT_TIMEOUT,
            command_timeout=settings.ESL_COMMAND_TIMEOUT,
            proxy_ping_seconds=settings.SIP_PROXY_PING_SECONDS,
        )
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10,
                                      socket_connect_timeout=5, health_check_interval=30)
        listener = Listener(client, config, nodes=_fresh(configured_nodes),
                            sync_agents=_fresh(sync_agents),
                            proxies=lambda: settings.SIP_PROXIES)
        listener.install_signal_handlers()
        listener.run()
