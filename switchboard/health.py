"""GET /healthz: is this web process able to reach its database and Redis? JSON, 200 or 503.

Beside them, `pipeline` says whether outcomes are flowing: the results consumer (a live reader
in its group, no backlog) and the listener (every configured node owned, events fresh). A dead
consumer or listener does not make this web process unhealthy, so it answers 200 with
`pipeline.status: degraded`; `?strict=1` (for a monitor) answers 503 then as well.
`pipeline.cdr` warns about nodes whose answered calls got no CDR post (and says what it risks):
a warning only, since calls still flow.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

REDIS_TIMEOUT_SECONDS = 1.0


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


CHECKS = {"database": _check_database, "redis": _check_redis}


def _pipeline() -> dict[str, object]:
    """The results consumer's and the listener's state (campaigns.services.reporting.pipeline)."""
    import datetime as dt

    from campaigns.dashboard.cluster import compute_cluster_snapshot

    try:
        snapshot = compute_cluster_snapshot(dt.datetime.now(tz=dt.UTC))
    except Exception as exc:  # Redis or the database is down: the checks above say which
        return {"status": "unknown", "error": type(exc).__name__}
    consumer = snapshot["results_consumer"]
    listener = snapshot["listener"]
    silent = sorted(node["name"] for node in snapshot["nodes"] if node["silent"])
    ok = consumer["state"] == "running" and (
        listener["nodes"] == 0 or (listener["state"] == "running" and not silent))
    return {
        "status": "ok" if ok else "degraded",
        "results_consumer": consumer,
        "listener": {"state": listener["state"], "nodes": listener["nodes"],
                     "nodes_owned": listener["nodes_owned"], "silent_nodes": silent},
    }


def _cdr() -> dict[str, object]:
    """Nodes that answered calls and posted no CDR: a warning (with what it risks), never a 503:
    calls still flow, but a lost event then leaves an answered call's outcome unknown."""
    import datetime as dt

    from campaigns.services.reporting.cdr_watch import RISK, nodes_without_cdrs

    try:
        silent = nodes_without_cdrs(dt.datetime.now(tz=dt.UTC))
    except Exception as exc:  # the checks above already say when a service is down
        return {"status": "unknown", "error": type(exc).__name__}
    if not silent:
        return {"status": "ok"}
    return {"status": "warning", "nodes": [row["node"] for row in silent],
            "reasons": {row["node"]: row["reason"] for row in silent}, "risk": RISK}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Run every check; any failure makes the answer 503 so a load balancer takes us out."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # report any failure; the body names only its type
            # The exception text can carry a connection URL with a password in it: the
            # class name says enough to point an operator at the right service.
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    healthy = all(result["ok"] for result in results.values())
    pipeline = _pipeline() if healthy else {"status": "unknown"}
    if healthy:
        pipeline["cdr"] = _cdr()
    strict = request.GET.get("strict") == "1"
    status = 200 if healthy and (not strict or pipeline["status"] == "ok") else 503
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results, "pipeline": pipeline},
        status=status,
    )
