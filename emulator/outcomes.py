"""Scripted far-end behaviour per dialled number: exact numbers, prefixes, a default."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from emulator.media import Segment, parse_media

# SIP status the far end "sent" for each failure cause, for variable_sip_term_status.
SIP_STATUS = {
    "USER_BUSY": "486",
    "NO_ANSWER": "487",
    "UNALLOCATED_NUMBER": "404",
    "CALL_REJECTED": "603",
    "NORMAL_TEMPORARY_FAILURE": "503",
    "NO_USER_RESPONSE": "480",
    "INVALID_NUMBER_FORMAT": "484",
    "RECOVERY_ON_TIMER_EXPIRE": "408",
    "NORMAL_CLEARING": "200",
}

# sofia_glue_sip_cause_to_freeswitch(): SIP final response -> hangup cause (captures 10, 19).
SIP_TO_CAUSE = {
    "400": "NORMAL_TEMPORARY_FAILURE", "401": "CALL_REJECTED", "402": "CALL_REJECTED",
    "403": "CALL_REJECTED", "404": "UNALLOCATED_NUMBER", "407": "CALL_REJECTED",
    "408": "RECOVERY_ON_TIMER_EXPIRE", "480": "NO_USER_RESPONSE",
    "481": "NORMAL_TEMPORARY_FAILURE", "484": "INVALID_NUMBER_FORMAT", "486": "USER_BUSY",
    "487": "ORIGINATOR_CANCEL", "500": "NORMAL_TEMPORARY_FAILURE",
    "503": "NORMAL_TEMPORARY_FAILURE", "504": "RECOVERY_ON_TIMER_EXPIRE", "600": "USER_BUSY",
    "603": "CALL_REJECTED", "608": "CALL_REJECTED",
}  # fmt: skip

KINDS = ("answer", "busy", "no_answer", "unallocated", "reject", "failure", "cause")


@dataclass(frozen=True)
class Outcome:
    """What the far end does when called.

    kind: answer | busy | no_answer | unallocated | reject | failure | cause.
    ring_ms: 180 Ringing after this many ms (None: no ringing). early_media_ms: 183 with SDP.
    answer_ms: answer this long after the INVITE. hangup_ms: the far end hangs up this long
    after answering (None: stays up until killed). fail_ms: when a failure arrives.
    cause: the hangup cause for kind "cause" (and overrides the others' cause if set).
    sip_status: the far end's final response; for kind "reject" or "failure" without a cause it
    picks the cause as sofia does (404 UNALLOCATED_NUMBER, 480 NO_USER_RESPONSE, ...).
    media: what the far end plays from its answer on (emulator.media.Segment list).
    """

    kind: str = "answer"
    ring_ms: int | None = 20
    early_media_ms: int | None = None
    answer_ms: int = 50
    hangup_ms: int | None = None
    fail_ms: int = 20
    cause: str = ""
    sip_status: str = ""
    media: tuple[Segment, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "media", parse_media(self.media))
        if self.kind not in KINDS:
            raise ValueError(f"unknown outcome kind {self.kind!r}")
        if self.kind == "cause" and not self.cause:
            raise ValueError("outcome kind 'cause' needs a cause")
        for name in ("answer_ms", "fail_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")

    @property
    def answers(self) -> bool:
        """True when the far end answers."""
        return self.kind == "answer"

    @property
    def rings_forever(self) -> bool:
        """True when it rings until the originate timeout."""
        return self.kind == "no_answer"

    def failure_cause(self) -> str:
        """The cause for a rejected call."""
        if self.cause:
            return self.cause.upper()
        if self.sip_status and self.kind in ("reject", "failure"):
            return SIP_TO_CAUSE.get(self.sip_status, "NORMAL_UNSPECIFIED")
        return {
            "busy": "USER_BUSY",
            "unallocated": "UNALLOCATED_NUMBER",
            "reject": "CALL_REJECTED",
            "failure": "NORMAL_TEMPORARY_FAILURE",
            "no_answer": "NO_ANSWER",
        }.get(self.kind, "NORMAL_TEMPORARY_FAILURE")

    def term_status(self) -> str:
        """SIP final response code recorded on the channel."""
        return self.sip_status or SIP_STATUS.get(self.failure_cause(), "500")

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        out = asdict(self)
        out["media"] = [s.to_dict() for s in self.media]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        """Build from the control API's JSON (unknown keys are an error)."""
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown outcome fields: {sorted(unknown)}")
        return cls(**data)


class OutcomeTable:
    """Exact numbers first, then the longest matching prefix pattern (`4008*`), then default."""

    def __init__(self, default: Outcome | None = None) -> None:
        self.default = default or Outcome()
        self._exact: dict[str, Outcome] = {}
        self._prefixes: list[tuple[str, Outcome]] = []

    def set(self, pattern: str, outcome: Outcome) -> None:
        """Script a number, a `prefix*` pattern, or `*` (the default)."""
        if pattern in ("*", "default", ""):
            self.default = outcome
        elif pattern.endswith("*"):
            prefix = pattern[:-1]
            self._prefixes = [(p, o) for p, o in self._prefixes if p != prefix]
            self._prefixes.append((prefix, outcome))
            self._prefixes.sort(key=lambda item: len(item[0]), reverse=True)
        else:
            self._exact[pattern] = outcome

    def clear(self) -> None:
        """Forget every script; the default goes back to answering."""
        self._exact.clear()
        self._prefixes.clear()
        self.default = Outcome()

    def lookup(self, number: str) -> Outcome:
        """The outcome for a dialled number."""
        found = self._exact.get(number)
        if found is not None:
            return found
        for prefix, outcome in self._prefixes:
            if number.startswith(prefix):
                return outcome
        return self.default

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {
            "default": self.default.to_dict(),
            "exact": {k: v.to_dict() for k, v in self._exact.items()},
            "prefixes": {p + "*": o.to_dict() for p, o in self._prefixes},
        }


PHONE_KINDS = ("answer", "busy", "dead", "no_answer", "reject")


@dataclass(frozen=True)
class Phone:
    """What an agent's phone does with an INVITE (`user/<agent>` legs).

    kind: answer (after answer_ms; None: the registration's or the node's agent_answer_ms) |
    busy (486 on DND: USER_BUSY, capture 26) | dead (the contact is gone: the TCP connect is
    refused and sofia synthesises a 503 at once, NORMAL_TEMPORARY_FAILURE, capture 27) |
    no_answer (180, rings until leg_timeout / originate_timeout or the caller gives up, captures
    28 and 29) | reject (the final response `sip_status`, e.g. 480 or 603, mapped as sofia does).
    """

    kind: str = "answer"
    answer_ms: int | None = None
    ring_ms: int | None = 10
    fail_ms: int = 20
    sip_status: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PHONE_KINDS:
            raise ValueError(f"unknown phone kind {self.kind!r}; one of {list(PHONE_KINDS)}")
        if self.kind == "reject" and self.sip_status not in SIP_TO_CAUSE:
            raise ValueError("phone kind 'reject' needs a sip_status such as 480 or 603")
        for name in ("answer_ms", "fail_ms", "ring_ms"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")

    def outcome(self, default_answer_ms: int) -> Outcome:
        """The far-end script of one call to this phone."""
        if self.kind == "answer":
            answer = default_answer_ms if self.answer_ms is None else self.answer_ms
            return Outcome(kind="answer", ring_ms=self.ring_ms, answer_ms=answer)
        if self.kind == "busy":
            return Outcome(kind="busy", ring_ms=None, fail_ms=self.fail_ms, sip_status="486")
        if self.kind == "dead":
            return Outcome(kind="failure", ring_ms=None, fail_ms=0, sip_status="503")
        if self.kind == "no_answer":
            return Outcome(kind="no_answer", ring_ms=self.ring_ms)
        return Outcome(
            kind="reject", ring_ms=None, fail_ms=self.fail_ms, sip_status=self.sip_status
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return asdict(self)


class PhoneTable:
    """Agent phones by user; a user with no script answers (after its answer delay)."""

    def __init__(self) -> None:
        self._phones: dict[str, Phone] = {}

    def set(self, user: str, phone: Phone) -> None:
        """Script one agent's phone."""
        self._phones[user] = phone

    def clear(self) -> None:
        """Every phone answers again."""
        self._phones.clear()

    def lookup(self, user: str) -> Phone | None:
        """The script of a user's phone, if any."""
        return self._phones.get(user)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {user: phone.to_dict() for user, phone in sorted(self._phones.items())}
