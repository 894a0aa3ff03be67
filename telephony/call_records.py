"""The Redis record of one call in flight: what the dialer took, so the results side gives it
all back exactly once (moved from campaigns.services.call_path.dialing)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from telephony.floor import LiveCalls

CALL_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class CallRecord:
    """What the dialer took for one call, so the results side can give it all back exactly once."""

    attempt_id: int
    node: str
    agent: str  # presence key user@domain
    token: str  # presence reservation token
    scopes: tuple[str, ...]  # live-call set scopes (trunk, node, campaign)
    mode: str
    wrapup_seconds: int = 0
    # target_first failover: the callee holds for another agent until then (epoch seconds, 0 =
    # no agent leg has failed yet). `agent`/`token` are "" while no agent is held.
    hold_until: float = 0.0
    # Agents whose leg of this call failed (refused, missed, busy, dead): never offered it again
    # by the failover, whatever their penalty delay (issue 16 item 9).
    tried: tuple[str, ...] = ()
    # The SIP proxy the agent's leg went through ("" = the agent registered on `node`): its
    # replies map to agent outcomes differently (480 cause 20 = not registered there).
    via: str = ""


def _call_key(prefix: str, call_uuid: str) -> str:
    return f"{prefix}:call:{call_uuid}"


def save_call(client: Any, prefix: str, call_uuid: str, record: CallRecord) -> None:
    """Remember the call; the TTL bounds a record whose end we never saw."""
    client.set(_call_key(prefix, call_uuid), json.dumps(asdict(record)), ex=CALL_TTL_SECONDS)


def replace_call(client: Any, prefix: str, call_uuid: str, record: CallRecord) -> bool:
    """Overwrite a call's record only while it exists; False once the call was finished."""
    return bool(client.set(_call_key(prefix, call_uuid), json.dumps(asdict(record)),
                           ex=CALL_TTL_SECONDS, xx=True))


def restore_call(client: Any, prefix: str, call_uuid: str, record: CallRecord) -> bool:
    """Write a record only where none exists (reconcile after Redis lost it); True if written."""
    return bool(client.set(_call_key(prefix, call_uuid), json.dumps(asdict(record)),
                           ex=CALL_TTL_SECONDS, nx=True))


def load_call(client: Any, prefix: str, call_uuid: str) -> CallRecord | None:
    """The call's record, or None when it was already finished (or never written)."""
    raw = client.get(_call_key(prefix, call_uuid))
    if raw is None:
        return None
    data = json.loads(raw)
    data["scopes"] = tuple(data["scopes"])
    data["tried"] = tuple(data.get("tried", ()))
    return CallRecord(**data)


def forget_call(client: Any, prefix: str, call_uuid: str) -> bool:
    """Drop the record; True only for the one caller that removed it (finish exactly once).

    The call also leaves the floor's live-call list (telephony.floor) at that moment."""
    removed = bool(client.delete(_call_key(prefix, call_uuid)))
    if removed:
        LiveCalls(client, prefix).remove(call_uuid)
    return removed
