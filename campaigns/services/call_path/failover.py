"""Fail a held callee over to another agent (target_first), or end it with the abandon message.

The callee answered, the reserved agent's phone failed (busy, dead, no answer within the ring
timeout) and, thanks to `continue_on_fail`, the callee is still up, hearing ringback from the
inline plan's hold (`telephony.originate`). The results side charged the failed agent and gave
its reservation back; this runs in a dial worker (it holds ESL connections) and:

1. gives up when the call is over, already connected, or already holds another agent;
2. plays the abandon message (`uuid_transfer` to it) when the campaign's failovers are used up
   or its failover window has passed;
3. reserves another routable agent atomically, on the node the callee is on (the bridge runs
   there), never one whose leg of this call failed already (`CallRecord.tried`); with none
   free it asks to be run again in a second while the window lasts, but only while one may
   become free in it (on a call, or in a wrap-up or penalty delay ending within the window);
   with none that can, it plays the abandon message at once;
4. records the new agent (attempt row with a compare-and-set on `agent_failovers`, then the
   Redis call record, only while that record exists) BEFORE sending
   `uuid_transfer <A> 'm:|:bridge:{leg_timeout=N}user/<agent>|playback:<hold>|...' inline`
   (capture 35: `+OK`, then CHANNEL_BRIDGE about 0.34 s later);
5. gives the agent back when the node refuses the transfer (the callee hung up meanwhile).

Bounded both ways: at most `max_agent_failovers` other agents, within `failover_window_seconds`;
and if this task never runs at all, the plan itself plays the abandon message after the hold.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from django.db.models import F

from campaigns.models import Agent, CallAttempt
from campaigns.services.call_path.dialing import LEASE_MARGIN_SECONDS
from telephony.call_records import load_call, replace_call
from telephony.dialstring import DialstringError
from telephony.errors import ESLError
from telephony.originate import render_abandon_transfer, render_agent_transfer

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # no agent free now: look again this soon while the window lasts


def fail_over(attempt_id: int, dialer: Any, *, now: float | None = None) -> tuple[str, float]:
    """One failover step for a held callee; return (what happened, seconds until the next try,
    0 for none)."""
    ts = time.time() if now is None else now
    attempt = CallAttempt.objects.select_related("campaign", "campaign__agent_group").filter(
        id=attempt_id).first()
    # Step 1.
    if attempt is None or attempt.ended_at is not None or attempt.bridged_at is not None:
        return "over", 0.0
    call_uuid = str(attempt.uuid)
    record = load_call(dialer.redis, dialer.prefix, call_uuid)
    if record is None:
        return "over", 0.0
    if record.token:
        return "has_agent", 0.0
    campaign = attempt.campaign
    # Step 2.
    remaining = record.hold_until - ts
    if attempt.agent_failovers >= campaign.max_agent_failovers or remaining <= 0.5:
        return _abandon(dialer, record.node, call_uuid, campaign.abandon_message), 0.0
    # Step 3.
    lease = campaign.agent_ring_timeout + remaining + LEASE_MARGIN_SECONDS
    # Never the agents who refused or missed this call already (their penalty may be shorter
    # than the window: the callee would wait and the refusing phone ring again).
    reservation = dialer.presence.reserve(campaign.agent_group.name, [record.node], ts, lease,
                                          exclude=record.tried)
    if reservation is None:
        # Hold on only while an agent may still become free in the window; with none that can
        # (nobody logged in, all paused, unreachable or misconfigured) the callee hears the
        # abandon message now rather than ringback to the end of the window (lab report O1).
        if remaining > RETRY_SECONDS + 0.5 and dialer.presence.may_free_up(
                campaign.agent_group.name, record.node, ts, ts + remaining,
                exclude=record.tried):
            return "waiting", RETRY_SECONDS
        return _abandon(dialer, record.node, call_uuid, campaign.abandon_message), 0.0
    user, _, domain = reservation.agent.partition("@")
    # Step 4. Compare-and-set: a second failover task for the same failure finds the count moved.
    agent = Agent.objects.filter(sip_user=user, sip_domain=domain).order_by("pk").first()
    moved = CallAttempt.objects.filter(
        id=attempt.id, ended_at__isnull=True, bridged_at__isnull=True,
        agent_failovers=attempt.agent_failovers,
    ).update(agent_failovers=F("agent_failovers") + 1, agent=agent)
    if not moved:
        dialer.presence.release(reservation.token, ts, 0)
        return "raced", 0.0
    held = dataclasses.replace(record, agent=reservation.agent, token=reservation.token,
                               wrapup_seconds=agent.wrapup_seconds if agent else 0,
                               via=reservation.via)
    if not replace_call(dialer.redis, dialer.prefix, call_uuid, held):
        dialer.presence.release(reservation.token, ts, 0)
        return "over", 0.0
    dialer.presence.mark(reservation.token, "ringing", ts, lease)
    try:
        command = render_agent_transfer(call_uuid, user, domain, campaign.agent_ring_timeout,
                                        int(remaining * 1000), campaign.abandon_message,
                                        dialer.agent_proxy(reservation.via)
                                        if reservation.via else None)
        reply = dialer.commands.api(record.node, command)
    except (DialstringError, ESLError) as exc:
        reply = f"-ERR {type(exc).__name__}"
    if not reply.startswith("+OK"):
        # Step 5: the channel is gone (or the node refused): give the agent back at once.
        log.info("attempt %s: transfer to %s refused: %s", attempt.id, reservation.agent,
                 reply.strip()[:80])
        released = dataclasses.replace(held, agent="", token="")
        replace_call(dialer.redis, dialer.prefix, call_uuid, released)
        dialer.presence.release(reservation.token, time.time(), 0)
        return "transfer_failed", 0.0
    log.info("attempt %s failed over to %s (failover %d)", attempt.id, reservation.agent,
             attempt.agent_failovers + 1)
    return "transferred", 0.0


def _abandon(dialer: Any, node: str, call_uuid: str, prompt: str) -> str:
    """No agent will take it: the callee hears the abandon message now, then a normal hangup."""
    try:
        reply = dialer.commands.api(node, render_abandon_transfer(call_uuid, prompt))
    except (DialstringError, ESLError) as exc:
        log.warning("abandon transfer of %s on %s failed: %s (the plan's own hold ends it)",
                    call_uuid, node, type(exc).__name__)
        return "abandon_failed"
    return "abandoned" if reply.startswith("+OK") else "over"
