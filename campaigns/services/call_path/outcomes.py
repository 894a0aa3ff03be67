"""The ONE table mapping FreeSWITCH hangup causes to outcome classes (STYLE rule 8).

A cause means different things on the two legs of a call: `USER_BUSY` from the callee is a busy
target (retry later, counted), while `USER_BUSY` from the agent's phone is nobody's fault but ours
(the agent leg failed: retry the target at once, not counted). So the table is keyed by leg.

Causes observed in the captures (README "Hangup causes") drive the rows; a cause not in the table
is a callee-side failure retried after the campaign's failure delay, counted, because an unknown
cause that never counted could loop forever.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from campaigns.models import Outcome


class Leg(enum.StrEnum):
    TARGET = "target"
    AGENT = "agent"


class Retry(enum.StrEnum):
    FINAL = "final"  # never dial this target again
    BUSY = "busy"  # after the campaign's busy delay, counted
    NO_ANSWER = "no_answer"  # after the campaign's no-answer delay, counted
    FAILED = "failed"  # after the campaign's failure delay, counted
    ELSEWHERE = "elsewhere"  # soon, on any healthy node, NOT counted as an attempt
    ABANDONED = "abandoned"  # answered, no agent connected: after the abandon delay, counted
    VOICEMAIL = "voicemail"  # agent_at_hello, a machine: after the voicemail delay, counted
    NO_PERSON = "no_person"  # agent_at_hello, nobody took the extension: its delay, counted
    UNKNOWN = "unknown"  # after the campaign's no-answer delay, NOT counted (it may have answered)


@dataclass(frozen=True)
class OutcomeClass:
    """What a cause means for the attempt and for the target."""

    outcome: str
    retry: Retry
    ours: bool = False  # our configuration caused it: never spends the target's attempts

    @property
    def counts_as_attempt(self) -> bool:
        """Node, trunk and agent failures are ours, not the callee's: they use up no attempt."""
        return self.retry not in (Retry.ELSEWHERE, Retry.UNKNOWN) and not self.ours


ANSWERED = OutcomeClass(Outcome.ANSWERED, Retry.FINAL)
_BUSY = OutcomeClass(Outcome.BUSY, Retry.BUSY)
_NO_ANSWER = OutcomeClass(Outcome.NO_ANSWER, Retry.NO_ANSWER)
_REJECTED = OutcomeClass(Outcome.REJECTED, Retry.FINAL)
_INVALID = OutcomeClass(Outcome.INVALID_NUMBER, Retry.FINAL)
_FAILED = OutcomeClass(Outcome.FAILED, Retry.FAILED)
_NODE = OutcomeClass(Outcome.NODE_FAILURE, Retry.ELSEWHERE)
_AGENT = OutcomeClass(Outcome.AGENT_UNAVAILABLE, Retry.ELSEWHERE)
CONFIG = OutcomeClass(Outcome.CONFIG_ERROR, Retry.ELSEWHERE)
# The callee answered and no agent was connected (every agent leg failed, the failover window
# ran out, or the callee hung up first): the callee's outcome, counted, retried after the
# campaign's abandon delay, never at once (the person was really called).
ABANDONED = OutcomeClass(Outcome.ABANDONED, Retry.ABANDONED)
# The same, when the last agent leg failed on our configuration (SUBSCRIBER_ABSENT: the agent's
# user or domain is unknown to the node). Still an abandon for the regulator's figures, but the
# target keeps its attempt: retried after the abandon delay, uncounted.
ABANDONED_BY_US = OutcomeClass(Outcome.ABANDONED, Retry.ABANDONED, ours=True)
CANCELLED = OutcomeClass(Outcome.CANCELLED, Retry.FINAL)
VOICEMAIL = OutcomeClass(Outcome.VOICEMAIL, Retry.VOICEMAIL)
NO_PERSON = OutcomeClass(Outcome.NO_PERSON, Retry.NO_PERSON)
# Reconcile could prove nothing (no live channel, no CDR): the callee may have answered, so the
# target waits the no-answer delay (never dialled again soon after a possible answer). Not
# counted (it may be our loss, not the callee's), capped like the other uncounted failures.
UNKNOWN = OutcomeClass(Outcome.UNKNOWN, Retry.UNKNOWN)

# Causes that mean the node, the trunk or the SIP path failed, whichever leg reports them.
# DESTINATION_OUT_OF_ORDER is also FreeSWITCH's answer to over-sps / over-max-sessions / duplicate
# UUID (capture 20); NORMAL_TEMPORARY_FAILURE is a closed port or a 503 from the trunk (08, 09, 19).
_NODE_CAUSES = frozenset(
    {
        "DESTINATION_OUT_OF_ORDER",
        "NORMAL_TEMPORARY_FAILURE",
        "GATEWAY_DOWN",
        "CHAN_NOT_IMPLEMENTED",
        "SYSTEM_SHUTDOWN",
        "SWITCH_CONGESTION",
        "NORMAL_CIRCUIT_CONGESTION",
        "NETWORK_OUT_OF_ORDER",
        "REQUESTED_CHAN_UNAVAIL",
        "MEDIA_TIMEOUT",
        "CRASH",
        "LOSE_RACE",
        "NODE_LOST",  # our own marker: the node's ESL connection died with the call on it
    }
)
# Our configuration, not the node's health nor the callee: the trunk's gateway (or its profile)
# does not exist on that node (capture 33, `-ERR INVALID_GATEWAY` within 1 ms). Retrying it
# elsewhere is right; retrying it on the same node never helps, so the trunk is marked there.
CONFIG_CAUSES = frozenset({"INVALID_GATEWAY", "INVALID_PROFILE"})

TARGET_CAUSES: dict[str, OutcomeClass] = {
    "NORMAL_CLEARING": _FAILED,  # cleared before answer (an answered call never reaches the table)
    "USER_BUSY": _BUSY,
    "NO_ANSWER": _NO_ANSWER,
    "NO_USER_RESPONSE": _NO_ANSWER,  # 480
    "ALLOTTED_TIMEOUT": _NO_ANSWER,
    "PROGRESS_TIMEOUT": _NO_ANSWER,
    "RECOVERY_ON_TIMER_EXPIRE": _NO_ANSWER,  # 408
    "CALL_REJECTED": _REJECTED,  # 403, 603
    "UNALLOCATED_NUMBER": _INVALID,  # 404
    "INVALID_NUMBER_FORMAT": _INVALID,  # 484
    "NO_ROUTE_DESTINATION": _INVALID,
    "NUMBER_CHANGED": _INVALID,
    "SUBSCRIBER_ABSENT": _INVALID,
    "INCOMPATIBLE_DESTINATION": _FAILED,
    # Before the callee answered, only our side cancels: in agent_first the agent hung up while
    # the target rang. Never `cancelled` (that is a cancelled campaign: results decide), never
    # the target's fault. After an answer the callee's hang-up is ABANDONED or ANSWERED.
    "ORIGINATOR_CANCEL": _AGENT,
    "MANAGER_REQUEST": CANCELLED,  # uuid_kill: we ended it
    **{cause: _NODE for cause in _NODE_CAUSES},
    **{cause: CONFIG for cause in CONFIG_CAUSES},
}

# On the agent's leg every refusal is an agent problem except what the node itself causes.
AGENT_CAUSES: dict[str, OutcomeClass] = {
    "USER_NOT_REGISTERED": _AGENT,  # presence was stale: the caller marks the agent unregistered
    "SUBSCRIBER_ABSENT": _AGENT,  # unknown user or domain: the agent is misconfigured
    "USER_BUSY": _AGENT,
    "NO_ANSWER": _AGENT,
    "NO_USER_RESPONSE": _AGENT,
    "CALL_REJECTED": _AGENT,
    "ORIGINATOR_CANCEL": _AGENT,
    "MANAGER_REQUEST": CANCELLED,
    **{cause: _NODE for cause in _NODE_CAUSES},
    # A dead phone: sofia synthesises a 503 for the refused TCP connect (capture 27). On the
    # agent's leg it is the agent's contact that is gone, not the node.
    "NORMAL_TEMPORARY_FAILURE": _AGENT,
    **{cause: CONFIG for cause in CONFIG_CAUSES},
}

# Causes after which the agent must be marked unregistered at once (DESIGN "Presence").
UNREGISTERED_CAUSES = frozenset({"USER_NOT_REGISTERED"})


class Penalty(enum.StrEnum):
    """What an agent-leg failure costs the agent (mod_callcenter's delays, by reason)."""

    BUSY = "busy"  # 486 / DND: busy_delay_seconds
    REJECT = "reject"  # 603 and other refusals: reject_delay_seconds
    NO_ANSWER = "no_answer"  # rang out: no_answer_delay_seconds, counts toward max_no_answer
    UNREACHABLE = "unreachable"  # the contact is dead: registrations there dropped at once
    NOT_REGISTERED = "not_registered"  # presence was stale: registrations there dropped at once
    MISCONFIGURED = "misconfigured"  # unknown user/domain: never routed to until fixed
    NONE = ""  # the agent did nothing wrong (the callee hung up, the node failed)


AGENT_PENALTIES: dict[str, Penalty] = {
    "USER_BUSY": Penalty.BUSY,
    "CALL_REJECTED": Penalty.REJECT,
    "DECLINE": Penalty.REJECT,
    "BUSY_EVERYWHERE": Penalty.BUSY,
    "NO_ANSWER": Penalty.NO_ANSWER,
    "NO_USER_RESPONSE": Penalty.NO_ANSWER,
    "ALLOTTED_TIMEOUT": Penalty.NO_ANSWER,
    "PROGRESS_TIMEOUT": Penalty.NO_ANSWER,
    "RECOVERY_ON_TIMER_EXPIRE": Penalty.NO_ANSWER,
    "NORMAL_TEMPORARY_FAILURE": Penalty.UNREACHABLE,
    "USER_NOT_REGISTERED": Penalty.NOT_REGISTERED,
    "SUBSCRIBER_ABSENT": Penalty.MISCONFIGURED,
}


# Through a SIP proxy (docs/sip-edge.md) the proxy answers for the agent: `480` with
# `Reason: Q.850;cause=20` (SUBSCRIBER_ABSENT) means it holds no usable contact (the agent is not
# there: drop its registrations there at once), and `404` (UNALLOCATED_NUMBER) means it does not
# know the agent at all (misconfigured). 408 (RECOVERY_ON_TIMER_EXPIRE: the phone did not answer
# the INVITE) and 486 (USER_BUSY) mean what they mean on a node.
PROXY_AGENT_PENALTIES: dict[str, Penalty] = {
    **AGENT_PENALTIES,
    "SUBSCRIBER_ABSENT": Penalty.NOT_REGISTERED,
    "UNALLOCATED_NUMBER": Penalty.MISCONFIGURED,
    "NO_ROUTE_DESTINATION": Penalty.MISCONFIGURED,
}


def agent_penalty(cause: str, via_proxy: bool = False) -> Penalty:
    """What a failed agent leg with this cause costs the agent (NONE: not the agent's doing);
    `via_proxy` when the leg went through a SIP proxy."""
    table = PROXY_AGENT_PENALTIES if via_proxy else AGENT_PENALTIES
    return table.get(cause.strip().upper(), Penalty.NONE)


def classify(cause: str, leg: Leg = Leg.TARGET) -> OutcomeClass:
    """Map a hangup cause (as in `-ERR <CAUSE>` or `Hangup-Cause`) on one leg to its class."""
    table = AGENT_CAUSES if leg is Leg.AGENT else TARGET_CAUSES
    return table.get(cause.strip().upper(), _AGENT if leg is Leg.AGENT else _FAILED)
