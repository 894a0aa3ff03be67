"""One emulated channel (call leg): its state, variables, records and event headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.dialplan import App

CALLSTATE_NUMBERS = {
    "DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5, "RING_WAIT": 6,
    "HANGUP": 7, "UNHELD": 8,
}  # fmt: skip

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12, "CS_NONE": 13,
}  # fmt: skip

Q850 = {
    "UNALLOCATED_NUMBER": 1, "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19, "CALL_REJECTED": 21, "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28, "NORMAL_TEMPORARY_FAILURE": 41, "RECOVERY_ON_TIMER_EXPIRE": 102,
    "SYSTEM_SHUTDOWN": 16, "ORIGINATOR_CANCEL": 16, "USER_NOT_REGISTERED": 16,
    "SUBSCRIBER_ABSENT": 20,
}  # fmt: skip

# Event types that carry variable_* headers ("extended" in switch_channel_event_set_data).
EXTENDED = frozenset(
    {
        "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER", "CHANNEL_PARK",
        "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DATA",
        "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY", "CUSTOM",
        "CALL_UPDATE",
    }
)  # fmt: skip


@dataclass
class DtmfRecord:
    """One digit as played on the wire: when it started and how long the tone lasted."""

    digit: str
    played_at: float  # wall-clock epoch seconds: when its first RTP event packet leaves
    duration_ms: int
    source: str  # uuid_send_dtmf | send_dtmf | sendmsg | execute_on_answer | inline
    dropped: bool = False  # the leg hung up before this digit left: it never did

    def left(self, now: float) -> bool:
        """True once the digit has started on the wire (never for a dropped one)."""
        return not self.dropped and self.played_at <= now

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """JSON form; `left` says whether the digit has really gone out (by `now`)."""
        now = time.time() if now is None else now
        return {
            "digit": self.digit,
            "played_at": round(self.played_at, 6),
            "duration_ms": self.duration_ms,
            "source": self.source,
            "left": self.left(now),
        }


@dataclass
class Channel:
    """A call leg on one node."""

    uuid: str
    name: str
    number: str
    created: float  # wall epoch
    variables: dict[str, str]
    job_uuid: str = ""
    call_uuid: str = ""
    state: str = "CS_NEW"
    callstate: str = "DOWN"
    answer_state: str = "ringing"
    hangup_cause: str = ""
    cid_name: str = "Outbound Call"
    cid_number: str = "0000000000"
    presence_id: str = ""
    dialplan: str = ""
    context: str = "default"
    hit_dialplan: bool = False
    media: bool = False
    progress_at: float = 0.0
    progress_media_at: float = 0.0
    answered_at: float = 0.0
    bridged_at: float = 0.0
    hangup_at: float = 0.0
    transfer_at: float = 0.0
    partner: Channel | None = None
    other_type: str = ""  # "originator" (B leg) or "originatee" (A leg while bridged)
    # The last bridge partner: its Other-Leg-* headers stay on A's events after the bridge
    # ended (EXECUTE_COMPLETE, CHANNEL_PARK and HANGUP in captures 35 and 35b).
    last_other: Channel | None = None
    last_other_type: str = ""
    bridge_target: str = ""
    is_b_leg: bool = False
    agent_user: str = ""
    apps: list[tuple[App, str]] = field(default_factory=list)  # (app, application uuid)
    current_app: App | None = None
    current_app_uuid: str = ""
    parked: bool = False
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    dtmf: list[DtmfRecord] = field(default_factory=list)
    dtmf_free_at: float = 0.0
    term_status: str = ""
    disposition: str = ""
    last_app: str = ""
    done: bool = False
    history_partner: str = ""
    pending_dtmf: list[tuple[str, str, int]] = field(default_factory=list)
    fail_cb: Callable[[str], None] | None = None
    prev_callstate: str = "DOWN"
    cid_flipped: bool = False
    network_addr: str = ""
    bare: bool = False  # a session that never got a caller profile (file 19's lone DESTROY)
    media_state: Any = None  # emulator.media.MediaState when the far end plays a timeline

    def cancel_timers(self) -> None:
        """Stop every pending timer of this leg."""
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()

    def channel_headers(self, event_name: str) -> list[tuple[str, str]]:
        """Channel, caller-profile, other-leg and (for extended events) variable headers."""
        h: list[tuple[str, str]] = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.callstate),
            ("Channel-State-Number", "0" if self.bare else str(STATE_NUMBERS.get(self.state, 0))),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", "outbound"),
            ("Presence-Call-Direction", "outbound"),
            ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
        ]
        if self.presence_id:
            h.append(("Channel-Presence-ID", self.presence_id))
        h.append(("Channel-Call-UUID", self.call_uuid or self.uuid))
        h.append(("Answer-State", self.answer_state))
        if self.hangup_cause:
            h.append(("Hangup-Cause", self.hangup_cause))
        if self.bare:
            base = {"direction": "outbound", "is_outbound": "true", "uuid": self.uuid}
            base["call_uuid"] = self.uuid
            return h + [("variable_" + k, v) for k, v in base.items()]
        if self.media:
            h.extend(_CODEC_HEADERS)
        h.extend(self._caller_headers())
        if self.partner is not None and self.other_type:
            h.extend(self._other_leg_headers(self.partner, self.other_type))
        elif self.last_other is not None:
            h.extend(self._other_leg_headers(self.last_other, self.last_other_type))
        if event_name in EXTENDED:
            h.extend(("variable_" + k, v) for k, v in self.all_variables().items())
        return h

    def _caller_headers(self) -> list[tuple[str, str]]:
        us = _usec
        h = [
            ("Caller-Direction", "outbound"),
            ("Caller-Logical-Direction", "outbound"),
        ]
        if self.cid_flipped:
            # After originate returns, FreeSWITCH swaps caller and callee ids (file 03).
            h += [
                ("Caller-Caller-ID-Name", "Outbound Call"),
                ("Caller-Caller-ID-Number", self.number),
                ("Caller-Orig-Caller-ID-Number", "0000000000"),
                ("Caller-Callee-ID-Number", self.cid_number),
            ]
        else:
            if self.cid_name != "Outbound Call":
                h.append(("Caller-Caller-ID-Name", self.cid_name))
            h += [
                ("Caller-Caller-ID-Number", self.cid_number),
                ("Caller-Orig-Caller-ID-Number", "0000000000"),
                ("Caller-Callee-ID-Name", "Outbound Call"),
                ("Caller-Callee-ID-Number", self.number),
            ]
        if self.network_addr:
            h.append(("Caller-Network-Addr", self.network_addr))
        h += [
            ("Caller-ANI", self.cid_number),
            ("Caller-Destination-Number", self.number),
            ("Caller-Unique-ID", self.uuid),
            ("Caller-Source", "src/switch_ivr_originate.c"),
            ("Caller-Context", self.context),
        ]
        if self.dialplan:
            h.append(("Caller-Dialplan", self.dialplan))
        h += [
            ("Caller-Channel-Name", self.name),
            ("Caller-Profile-Index", "1"),
            ("Caller-Profile-Created-Time", us(self.created)),
            ("Caller-Channel-Created-Time", us(self.created)),
            ("Caller-Channel-Answered-Time", us(self.answered_at)),
            ("Caller-Channel-Progress-Time", us(self.progress_at)),
            ("Caller-Channel-Progress-Media-Time", us(self.progress_media_at)),
            ("Caller-Channel-Hangup-Time", us(self.hangup_at)),
            ("Caller-Channel-Transfer-Time", us(self.transfer_at)),
            ("Caller-Channel-Resurrect-Time", "0"),
            ("Caller-Channel-Bridged-Time", us(self.bridged_at)),
            ("Caller-Channel-Last-Hold", "0"),
            ("Caller-Channel-Hold-Accum", "0"),
            ("Caller-Screen-Bit", "true"),
            ("Caller-Privacy-Hide-Name", "false"),
            ("Caller-Privacy-Hide-Number", "false"),
        ]
        return h

    def _other_leg_headers(self, other: Channel, other_type: str) -> list[tuple[str, str]]:
        us = _usec
        return [
            ("Other-Type", other_type),
            ("Other-Leg-Direction", "outbound"),
            ("Other-Leg-Logical-Direction", "inbound"),
            ("Other-Leg-Caller-ID-Name", other.cid_name),
            ("Other-Leg-Caller-ID-Number", other.number),
            ("Other-Leg-Orig-Caller-ID-Number", "0000000000"),
            ("Other-Leg-Callee-ID-Name", "Outbound Call"),
            ("Other-Leg-Callee-ID-Number", self.number),
            ("Other-Leg-Network-Addr", "127.0.0.1"),
            ("Other-Leg-ANI", "0000000000"),
            ("Other-Leg-Destination-Number", other.number),
            ("Other-Leg-Unique-ID", other.uuid),
            ("Other-Leg-Source", "src/switch_ivr_originate.c"),
            ("Other-Leg-Context", other.context),
            ("Other-Leg-Channel-Name", other.name),
            ("Other-Leg-Profile-Created-Time", us(other.created)),
            ("Other-Leg-Channel-Created-Time", us(other.created)),
            ("Other-Leg-Channel-Answered-Time", us(other.answered_at)),
            ("Other-Leg-Channel-Progress-Time", us(other.progress_at)),
            ("Other-Leg-Channel-Progress-Media-Time", us(other.progress_media_at)),
            ("Other-Leg-Channel-Hangup-Time", us(other.hangup_at)),
            ("Other-Leg-Channel-Transfer-Time", "0"),
            ("Other-Leg-Channel-Resurrect-Time", "0"),
            ("Other-Leg-Channel-Bridged-Time", us(other.bridged_at)),
            ("Other-Leg-Channel-Last-Hold", "0"),
            ("Other-Leg-Channel-Hold-Accum", "0"),
            ("Other-Leg-Screen-Bit", "true"),
            ("Other-Leg-Privacy-Hide-Name", "false"),
            ("Other-Leg-Privacy-Hide-Number", "false"),
        ]

    def all_variables(self) -> dict[str, str]:
        """Channel variables in the order FreeSWITCH lists the common ones."""
        base = {
            "direction": "outbound",
            "is_outbound": "true",
            "uuid": self.uuid,
            "call_uuid": self.call_uuid or self.uuid,
            "channel_name": self.name,
        }
        base.update(self.variables)
        if self.current_app is not None:
            base["current_application"] = self.current_app.name
        return base

    def cdr_variables(self, now: float) -> dict[str, str]:
        """The timing and cause variables set at hangup (variable_billsec and friends).

        As switch_channel_set_timestamps(): the *sec values subtract whole epoch seconds and the
        *msec values whole epoch milliseconds (billsec 1 for 539 ms in capture 26).
        """
        end = self.hangup_at or now
        answered = self.answered_at

        def sec(t: float) -> int:
            return int(t)

        def msec(t: float) -> int:
            return int(t * 1000)

        bill_us = int((end - answered) * 1e6) if answered else 0
        dur_us = int((end - self.created) * 1e6)
        answer_us = int((answered - self.created) * 1e6) if answered else 0
        billsec = sec(end) - sec(answered) if answered else 0
        billmsec = msec(end) - msec(answered) if answered else 0
        answersec = sec(answered) - sec(self.created) if answered else 0
        answermsec = msec(answered) - msec(self.created) if answered else 0
        progress = self.progress_at
        progresssec = sec(progress) - sec(self.created) if progress else 0
        progressmsec = msec(progress) - msec(self.created) if progress else 0
        cause = self.hangup_cause or "NORMAL_CLEARING"
        out = {
            "hangup_cause": cause,
            "hangup_cause_q850": str(Q850.get(cause, 16)),
            "start_epoch": str(int(self.created)),
            "start_uepoch": _usec(self.created),
            "answer_epoch": str(int(answered)),
            "answer_uepoch": _usec(answered),
            "end_epoch": str(int(end)),
            "end_uepoch": _usec(end),
            "last_app": self.last_app,
            "duration": str(sec(end) - sec(self.created)),
            "billsec": str(billsec),
            "progresssec": str(progresssec),
            "answersec": str(answersec),
            "waitsec": str(sec(self.bridged_at) - sec(self.created) if self.bridged_at else 0),
            "mduration": str(msec(end) - msec(self.created)),
            "billmsec": str(billmsec),
            "progressmsec": str(progressmsec),
            "answermsec": str(answermsec),
            "uduration": str(dur_us),
            "billusec": str(bill_us),
            "answerusec": str(answer_us),
        }
        if self.term_status:
            out["sip_term_status"] = self.term_status
            if self.term_status != "200":
                out["sip_invite_failure_status"] = self.term_status
        if self.disposition:
            out["sip_hangup_disposition"] = self.disposition
        return out

    def record(self, now: float, name: str) -> None:
        """Keep the event name in the channel's history."""
        self.events.append((now, name))

    def to_dict(self, with_events: bool = True) -> dict[str, Any]:
        """JSON form for the control API."""
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "name": self.name,
            "number": self.number,
            "job_uuid": self.job_uuid,
            "created": round(self.created, 6),
            "answered_at": round(self.answered_at, 6) or None,
            "hangup_at": round(self.hangup_at, 6) or None,
            "state": self.state,
            "answer_state": self.answer_state,
            "hangup_cause": self.hangup_cause or None,
            "partner": self.partner.uuid if self.partner is not None else self.history_partner,
            "b_leg": self.is_b_leg,
            "variables": dict(self.variables),
            "dtmf": [d.to_dict() for d in self.dtmf],
            "dtmf_sent": "".join(d.digit for d in self.dtmf if d.left(time.time())),
            "live": not self.done,
        }
        if with_events:
            out["events"] = [[round(t, 6), n] for t, n in self.events]
        return out


def _usec(t: float) -> str:
    return str(int(t * 1_000_000)) if t else "0"


_CODEC_HEADERS = (
    ("Channel-Read-Codec-Name", "PCMU"),
    ("Channel-Read-Codec-Rate", "8000"),
    ("Channel-Read-Codec-Bit-Rate", "64000"),
    ("Channel-Write-Codec-Name", "PCMU"),
    ("Channel-Write-Codec-Rate", "8000"),
    ("Channel-Write-Codec-Bit-Rate", "64000"),
)


def now_wall() -> float:
    """Wall-clock epoch seconds."""
    return time.time()
