"""Is the results pipeline alive? The listener (events per node) and the results consumer.

Both are long-running processes a supervisor restarts, but the product must show when one is
gone rather than trust it: a node whose events stopped, a consumer group with no live reader
(each consumer refreshes `{prefix}:consumers:<name>`, 30 s TTL), a backlog the group is not
reading (`lag`: entries never delivered; `pending`: delivered, not acknowledged). Read by
/healthz and the system dashboard; one Redis pipeline-sized read, whatever the traffic.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings

GROUP = "results"  # workers.results.GROUP: campaigns may not import workers


def consumer_state(client: Any, prefix: str) -> dict[str, Any]:
    """The results consumer group: live readers, backlog, state (running/absent/backlog/...)."""
    stream = f"{prefix}:events"
    readers = sorted(
        (k.decode() if isinstance(k, bytes) else k).rsplit(":", 1)[-1]
        for k in client.scan_iter(match=f"{prefix}:consumers:*", count=100)
    )
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:  # no stream at all (flushed, or nothing ever appended)
        groups = []
    group = next((g for g in groups if _s(g.get("name")) == GROUP), None)
    length = int(client.xlen(stream)) if groups else 0
    lag = group.get("lag") if group else None
    pending = int(group.get("pending", 0)) if group else 0
    backlog = int(lag) if lag is not None else 0
    if not readers:
        state = "absent"
    elif group is None:
        state = "no_group"
    elif backlog + pending > settings.HEALTH_MAX_BACKLOG:
        state = "backlog"
    else:
        state = "running"
    return {"state": state, "readers": readers, "stream_length": length, "lag": lag,
            "pending": pending, "max_backlog": settings.HEALTH_MAX_BACKLOG}


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
