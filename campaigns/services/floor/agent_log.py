"""The agents' state-change log: the presence change stream consumed into the database.

Every presence change lands on `<prefix>:presence:changes` (telephony.presence_lua). A beat
task reads it through a consumer group (`agentlog`), writes one AgentStateChange per entry
that concerns an agent (bulk, ignoring entries already stored: the stream id is unique), and
acknowledges after the commit: a consumer that dies re-reads its pending entries first.
Registration entries become online / offline by asking the store how the agent stands now.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import redis
from django.db import transaction

from campaigns.models import Agent, AgentStateChange
from campaigns.services.floor.presence import store as presence_store

log = logging.getLogger(__name__)

GROUP = "agentlog"
CONSUMER = "db"
BATCH = 5000
REGISTRATION_KINDS = frozenset({
    "register", "unregister", "socket_disconnect", "expire", "transport_drop", "expired",
    "reconcile_remove", "not_registered", "unreachable", "reachable",
})


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _ensure_group(client: redis.Redis, key: str) -> None:
    try:
        client.xgroup_create(key, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def consume_changes(limit: int = BATCH) -> int:
    """Store what the stream holds for agents since the last run; return entries consumed."""
    presence = presence_store()
    client, key = presence.client, presence.changes_key
    _ensure_group(client, key)
    # Our own pending entries first (a run that died before its ack), then new ones.
    entries = []
    for start in ("0", ">"):
        got = client.xreadgroup(GROUP, CONSUMER, {key: start}, count=limit)
        entries += [e for _, batch in got for e in batch]
        if entries:
            break
    if not entries:
        return 0
    decoded = [(_s(eid), {_s(k): _s(v) for k, v in fields.items()}) for eid, fields in entries]
    keys = {f["agent"] for _, f in decoded if f.get("agent")}
    users = {k.partition("@")[0] for k in keys}
    ids = {f"{u}@{d}": pk for pk, u, d in Agent.objects.filter(sip_user__in=users)
           .values_list("id", "sip_user", "sip_domain")}
    reg_agents = sorted({f["agent"] for _, f in decoded
                         if f.get("kind") in REGISTRATION_KINDS and f.get("agent") in ids})
    now_views = presence.snapshot(reg_agents, dt.datetime.now(tz=dt.UTC).timestamp())
    rows = []
    for eid, f in decoded:
        agent_id = ids.get(f.get("agent", ""))
        kind = f.get("kind", "")
        if agent_id is None:
            continue
        at = dt.datetime.fromtimestamp(float(f.get("t") or 0), tz=dt.UTC)
        if kind == "intent":
            axis, value = "intent", f.get("detail", "")
        elif kind == "activity":
            axis, value = "activity", f.get("detail", "")
        elif kind in REGISTRATION_KINDS:
            axis = "registration"
            value = "online" if now_views[f["agent"]].registered else "offline"
        else:
            continue
        rows.append(AgentStateChange(
            agent_id=agent_id, at=at, axis=axis, value=value[:24],
            reason=f.get("reason", "")[:200], actor=f.get("actor", "")[:150],
            node=f.get("node", "")[:63], stream_id=eid))
    with transaction.atomic():
        AgentStateChange.objects.bulk_create(rows, ignore_conflicts=True)
    client.xack(key, GROUP, *[eid for eid, _ in decoded])
    return len(decoded)
