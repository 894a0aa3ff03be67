"""Build the dialer and the results applier of this process from settings (one place).

Both are cheap to build; the expensive parts they hold are per process and fork-safe: the ESL
command pool (`workers.pool`, dropped after fork) and one Redis client per URL (redis-py's pool
notices a fork and reconnects).
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

import redis
from django.conf import settings

from campaigns.services.call_path.dialing import Dialer
from campaigns.services.call_path.nodes import configured_nodes
from campaigns.services.call_path.results import Results
from telephony.client import ESLConnection
from telephony.config import NodeConfig
from telephony.errors import ESLError
from telephony.pacing import Pacer
from telephony.presence import PresenceStore
from workers.pool import get_pool

log = logging.getLogger(__name__)


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process and Redis URL."""
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


class ConnectionPerCall:
    """The dial path's commands over a NEW ESL connection per call, as Newfies-Dialer does.

    Only for the benchmark's comparison (SWITCHBOARD_BENCH_CONNECTION_PER_CALL=1): production
    always uses the per-process pool.
    """

    def __init__(self, nodes: dict[str, NodeConfig]) -> None:
        self.nodes = nodes

    def is_up(self, node: str) -> bool:
        return True

    def _run(self, node: str, action: Any) -> Any:
        conn = ESLConnection.for_node(self.nodes[node]).connect()
        try:
            return action(conn)
        finally:
            conn.close()

    def bgapi(self, node: str, command: str, *, job_uuid: str | None = None) -> str:
        return str(self._run(node, lambda conn: conn.bgapi(command, job_uuid=job_uuid)))

    def bgapi_many(self, node: str, commands: Any) -> list[Any]:
        out: list[Any] = []
        for command, job_uuid in commands:
            try:
                out.append(self.bgapi(node, command, job_uuid=job_uuid))
            except ESLError as exc:
                out.append(exc)
        return out

    def api(self, node: str, command: str) -> str:
        return str(self._run(node, lambda conn: conn.api(command)))


def dialer() -> Dialer:
    """A Dialer over this process's ESL pool, the shared presence store and pacer."""
    client = redis_client(settings.REDIS_URL)
    prefix = settings.REDIS_KEY_PREFIX
    nodes = {node.name: node for node in configured_nodes()}
    per_call = os.environ.get("SWITCHBOARD_BENCH_CONNECTION_PER_CALL") == "1"
    return Dialer(
        commands=ConnectionPerCall(nodes) if per_call else get_pool(),
        pacer=Pacer(client, prefix),
        presence=PresenceStore(client, prefix, proxies=[p.name for p in settings.SIP_PROXIES]),
        redis=client,
        prefix=prefix,
        nodes=nodes,
        proxies={proxy.name: proxy for proxy in settings.SIP_PROXIES},
        sip_profile=settings.FREESWITCH_SIP_PROFILE,
    )


def request_failover(attempt_id: int) -> None:
    """Publish a failover step for a held callee (by name: the task lives in workers.tasks)."""
    from workers.celery import DIAL_FAILOVER, app

    app.signature(DIAL_FAILOVER, args=(attempt_id,)).apply_async()


def act_on_heard(attempt_id: int, heard: str) -> None:
    """agent_at_hello: connect the person, or end the machine's or nobody's call, from this
    process at once (a Celery hop would spend the regulators' 2 s in a queue)."""
    from campaigns.services.call_path.hello import act

    try:
        done = act(attempt_id, heard, dialer())
    except Exception:
        log.exception("acting on attempt %s (%s) failed", attempt_id, heard)
        return
    log.info("attempt %s heard %s: %s", attempt_id, heard, done)


def results() -> Results:
    """The results applier over the shared presence store and pacer."""
    client = redis_client(settings.REDIS_URL)
    prefix = settings.REDIS_KEY_PREFIX
    return Results(
        presence=PresenceStore(client, prefix, proxies=[p.name for p in settings.SIP_PROXIES]),
        pacer=Pacer(client, prefix),
        redis=client,
        prefix=prefix,
        on_agent_failed=request_failover,
        on_heard=act_on_heard,
    )
