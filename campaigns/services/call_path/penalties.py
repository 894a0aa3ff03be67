"""Agent and trunk problems are charged to the agent or the trunk, never to the target.

Like mod_callcenter's agent settings (`reject-delay-time`, `busy-delay-time`,
`no-answer-delay-time`, `max-no-answer`): a phone that refuses, is busy or does not answer makes
its agent not routable for that agent's delay (the reservation is released into a wrap-up of
that length, which the reserve script already skips); `max_no_answer` missed rings in a row put
the agent on break (intent `paused`, with the reason). A dead contact (503) keeps its
registration on that node, marked unreachable at once, until a newer REGISTER or an OPTIONS
answer (the node still lists it, so dropping it would let the next reconcile bring it back); it
counts with the missed rings towards `max_no_answer`. A stale registration (USER_NOT_REGISTERED)
is dropped on that node at once. An unknown user or domain (`SUBSCRIBER_ABSENT`) marks the agent
misconfigured: logged out in presence and left out of every sync until a person clears it.

A trunk whose gateway or profile the node does not know (`INVALID_GATEWAY`, `INVALID_PROFILE`)
is marked misconfigured on that node; the dialer stops using that node for the trunk's calls.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import F

from campaigns.models import Agent, Trunk
from campaigns.services.call_path.outcomes import Penalty, agent_penalty

log = logging.getLogger(__name__)

DIALER_ACTOR = "dialer"


def charge_agent(presence: Any, agent_id: int | None, presence_key: str, token: str, node: str,
                 cause: str, now: dt.datetime, via: str = "") -> Penalty:
    """Release the agent's reservation with the penalty its phone earned; return the penalty.

    Runs after the attempt's commit. `token` is the reservation the failed leg held ("" when it
    was already given back: then only the database side is written). `via`: the SIP proxy the
    leg went through, which answers for the agent (its registrations there are the ones
    dropped when it says the agent is not there).
    """
    penalty = agent_penalty(cause, via_proxy=bool(via))
    node = via or node
    ts = now.timestamp()
    agent = Agent.objects.filter(id=agent_id).first() if agent_id else None
    if penalty is Penalty.UNREACHABLE:
        delay = agent.reject_delay_seconds if agent else 0
        if token:
            # A dead contact is still listed by the node (capture 27): its rows there stay,
            # marked unreachable (a reconcile keeps the mark), so the agent is not routable on
            # that node until a newer REGISTER or an OPTIONS answer; the delay is a wrap-up.
            presence.release_agent_unreachable(token, node, ts, delay)
        if agent is not None:
            missed = _penalise(agent, penalty, now, delay)
            # Counted with missed rings (the same counter and threshold as max_no_answer): a
            # phone that keeps failing goes on break with the reason, whatever its rows say.
            if agent.max_no_answer and missed >= agent.max_no_answer:
                _set_intent(presence, presence_key, "paused",
                            f"contact unreachable: {missed} calls in a row not connected", ts)
                log.info("agent %s on break after %d calls not connected", presence_key, missed)
        return penalty
    if penalty is Penalty.NOT_REGISTERED:
        if token:
            # The node does not list the agent there: drop what we held on that node now.
            presence.release_agent_unregistered(token, node, ts)
        return penalty
    if penalty is Penalty.MISCONFIGURED:
        if token:
            presence.release(token, ts, 0)
        if agent is not None:
            Agent.objects.filter(id=agent.id).update(
                misconfigured=f"{cause} on {node} at {now:%Y-%m-%d %H:%M:%S} UTC"[:200],
                penalty_reason=str(penalty), penalty_until=None,
            )
            _set_intent(presence, presence_key, "logged_out", f"misconfigured: {cause}", ts)
        log.warning("agent %s misconfigured: %s on %s", presence_key, cause, node)
        return penalty
    if penalty is Penalty.NONE or agent is None:
        if token:
            presence.release(token, ts, 0)
        return penalty
    delay = {
        Penalty.BUSY: agent.busy_delay_seconds,
        Penalty.REJECT: agent.reject_delay_seconds,
        Penalty.NO_ANSWER: agent.no_answer_delay_seconds,
    }[penalty]
    if token:
        # Not routable until the delay passes: the reserve script skips an agent in wrap-up.
        presence.release(token, ts, delay)
    missed = _penalise(agent, penalty, now, delay)
    if penalty is Penalty.NO_ANSWER and agent.max_no_answer and missed >= agent.max_no_answer:
        _set_intent(presence, presence_key, "paused",
                    f"max-no-answer: {missed} calls in a row not answered", ts)
        log.info("agent %s on break after %d unanswered calls", presence_key, missed)
    return penalty


def _penalise(agent: Agent, penalty: Penalty, now: dt.datetime, delay: int) -> int:
    """Store the penalty on the agent's row; return its missed calls in a row after it."""
    with transaction.atomic():
        fields: dict[str, Any] = {
            "penalty_reason": str(penalty),
            "penalty_until": now + dt.timedelta(seconds=delay),
        }
        if penalty in (Penalty.NO_ANSWER, Penalty.UNREACHABLE):
            fields["no_answer_count"] = F("no_answer_count") + 1
        Agent.objects.filter(id=agent.id).update(**fields)
        return int(Agent.objects.filter(id=agent.id).values_list("no_answer_count", flat=True)
                   .first() or 0)


def agent_connected(agent_id: int | None) -> None:
    """A call reached the agent: its run of missed calls is over."""
    if agent_id:
        Agent.objects.filter(id=agent_id, no_answer_count__gt=0).update(no_answer_count=0)


def _set_intent(presence: Any, presence_key: str, intent: str, reason: str, ts: float) -> None:
    try:
        presence.set_intent(presence_key, intent, reason[:200], DIALER_ACTOR, ts)
    except LookupError:  # not synced into presence yet: nothing routes to it anyway
        log.info("agent %s not in presence: intent %s not set", presence_key, intent)


def mark_trunk_misconfigured(trunk_id: int, node: str, cause: str, now: dt.datetime) -> bool:
    """Record that `node` refused the trunk with `cause`; True when it was not marked yet."""
    with transaction.atomic():
        trunk = Trunk.objects.select_for_update().filter(id=trunk_id).first()
        if trunk is None or not node:
            return False
        marks = dict(trunk.misconfigured_on or {})
        if node in marks:
            return False
        marks[node] = {"cause": cause, "at": now.isoformat()}
        Trunk.objects.filter(id=trunk_id).update(misconfigured_on=marks)
    log.warning("trunk %s misconfigured on %s: %s (not used there until fixed)",
                trunk.name, node, cause)
    return True
