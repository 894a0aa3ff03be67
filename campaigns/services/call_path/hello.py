"""What the product does once it knows who answered the extension (agent_at_hello).

The results side classifies each listen after the digits
(`campaigns.services.call_path.listening`) and, after its commit, calls `act` in the same
process (no Celery hop: the regulators' 2 s start at the hello). `act` needs the process's ESL
commands, presence store and Redis, as the dialer has.

* person: reserve an available agent atomically on the node the call is on, record it (attempt
  row with a compare-and-set on `agent IS NULL`, then the Redis call record) BEFORE sending
  `uuid_transfer <call> 'm:|:bridge:{leg_timeout=2}user/<agent>|playback:<abandon>|hangup'
  inline`. With no agent free, the abandon message at once. The attempt's `hello_at` is the
  abandon clock's start.
* machine: hang up, or leave the campaign's message (the beep was heard, or the greeting ended).
* no_person: hang up (the extension rang out, or the attendant never connected).

Not built yet: agent sessions (a parked agent leg per ready agent joined by `uuid_bridge`,
captures 49-53); here the agent's phone rings on demand, which costs its answer time.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from campaigns.models import Agent, CallAttempt, VoicemailAction
from campaigns.services.call_path.dialing import LEASE_MARGIN_SECONDS
from telephony.call_records import load_call, replace_call
from telephony.dialstring import DialstringError, render_uuid_kill
from telephony.errors import ESLError
from telephony.listening import Heard
from telephony.originate import (
    render_abandon_transfer,
    render_hello_transfer,
    render_voicemail_transfer,
)

log = logging.getLogger(__name__)

HELLO_TO_AGENT_S = 2  # the regulators' limit from the hello to an agent (leg_timeout counts it)


def act(attempt_id: int, heard: str, dialer: Any, *, now: float | None = None) -> str:
    """Act on a classification; return what was done (for logs and tests)."""
    ts = time.time() if now is None else now
    attempt = CallAttempt.objects.select_related("campaign", "campaign__agent_group").filter(
        id=attempt_id).first()
    if attempt is None or attempt.ended_at is not None:
        return "over"
    call_uuid = str(attempt.uuid)
    record = load_call(dialer.redis, dialer.prefix, call_uuid)
    if record is None:
        return "over"
    campaign = attempt.campaign
    if heard == Heard.PERSON:
        return _connect(attempt, record, dialer, ts)
    if heard == Heard.MACHINE and campaign.voicemail_action == VoicemailAction.MESSAGE:
        return _send(dialer, record.node, lambda: render_voicemail_transfer(
            call_uuid, campaign.voicemail_message), "message")
    return _send(dialer, record.node, lambda: render_uuid_kill(call_uuid), "hung_up")


def _connect(attempt: CallAttempt, record: Any, dialer: Any, ts: float) -> str:
    campaign = attempt.campaign
    call_uuid = str(attempt.uuid)
    if record.token:
        return "has_agent"
    lease = HELLO_TO_AGENT_S + LEASE_MARGIN_SECONDS
    reservation = dialer.presence.reserve(campaign.agent_group.name, [record.node], ts, lease)
    if reservation is None:
        return _abandon(dialer, record.node, call_uuid, campaign.abandon_message)
    user, _, domain = reservation.agent.partition("@")
    agent = Agent.objects.filter(sip_user=user, sip_domain=domain).order_by("pk").first()
    # Compare-and-set: a redelivered hello finds the agent already set.
    moved = CallAttempt.objects.filter(
        id=attempt.id, ended_at__isnull=True, bridged_at__isnull=True, agent__isnull=True,
    ).update(agent=agent)
    if not moved:
        dialer.presence.release(reservation.token, ts, 0)
        return "raced"
    held = dataclasses.replace(record, agent=reservation.agent, token=reservation.token,
                               wrapup_seconds=agent.wrapup_seconds if agent else 0,
                               via=reservation.via)
    if not replace_call(dialer.redis, dialer.prefix, call_uuid, held):
        dialer.presence.release(reservation.token, ts, 0)
        return "over"
    dialer.presence.mark(reservation.token, "ringing", ts, lease)
    try:
        command = render_hello_transfer(call_uuid, user, domain, HELLO_TO_AGENT_S,
                                        campaign.abandon_message,
                                        dialer.agent_proxy(reservation.via))
        reply = dialer.commands.api(record.node, command)
    except (DialstringError, ESLError) as exc:
        reply = f"-ERR {type(exc).__name__}"
    if not reply.startswith("+OK"):
        log.info("attempt %s: hello transfer to %s refused: %s", attempt.id, reservation.agent,
                 reply.strip()[:80])
        replace_call(dialer.redis, dialer.prefix, call_uuid,
                     dataclasses.replace(held, agent="", token="", via=""))
        dialer.presence.release(reservation.token, time.time(), 0)
        return "transfer_failed"
    return "transferred"


def _abandon(dialer: Any, node: str, call_uuid: str, prompt: str) -> str:
    """No agent free at the hello: the person hears the abandon message now, then a hangup."""
    return _send(dialer, node, lambda: render_abandon_transfer(call_uuid, prompt), "abandoned")


def _send(dialer: Any, node: str, render: Any, done: str) -> str:
    try:
        reply = dialer.commands.api(node, render())
    except (DialstringError, ESLError) as exc:
        log.warning("%s on %s failed: %s", done, node, type(exc).__name__)
        return f"{done}_failed"
    return done if reply.startswith("+OK") else "over"
