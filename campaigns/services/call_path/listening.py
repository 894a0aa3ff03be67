"""The results side of the media-aware connect: steps on the attempt, and who answered.

Every step FreeSWITCH reports goes on the attempt's `connect_timeline` once, with its real time
(the event's own timestamp) and its evidence, so a supervisor can see why a call went where it
went (docs/media-aware-connect.md):

* `prompt_end` (stage N): wait_for_silence returned; `timeout` true means the attendant never
  paused and the digits went anyway (capture 44), `listen_hits` the loud frames heard;
* `digits` (stage N): that stage's send_dtmf; `digits_done`: the whole extension is out;
* `ringback_tone`: DETECTED_TONE with this attempt's key (no Unique-ID on it: the key is the
  link; its later copy is the same step and changes nothing);
* `beep`: avmd::beep (with Unique-ID); never avmd::stop's Beep-Status, which the API always
  reports DETECTED (capture 47);
* `listen` N: one sound after the digits with its loud frames and what it was judged to be
  (`telephony.listening.classify_listen`);
* the verdict, once: `person` (the hello: `hello_at`, the abandon clock's start), `machine`, or
  `no_person` (the extension rang past the campaign's ring allowance, or the plan ran out of
  listens with nobody heard). `heard` holds it; the hangup turns it into the outcome.

Writes are idempotent: a step is keyed (stage, listen number, or name) and appended under a
row lock only if absent; the verdict is a compare-and-set on `heard = ''`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

from campaigns.models import CallAttempt
from telephony.listening import (
    COUNTDOWN_MS,
    LISTEN_VARIABLE,
    STAGE_VARIABLE,
    Heard,
    Thresholds,
    classify_listen,
)

NO_PERSON = "no_person"


def _iso(at: dt.datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def note(attempt_id: int, entry: dict[str, Any]) -> bool:
    """Append one step to the attempt's timeline unless its key is there (row lock)."""
    with transaction.atomic():
        row = CallAttempt.objects.select_for_update().only("id", "connect_timeline").filter(
            id=attempt_id).first()
        if row is None:
            return False
        steps = list(row.connect_timeline or [])
        if any(step.get("key") == entry["key"] for step in steps):
            return False
        steps.append(entry)
        steps.sort(key=lambda step: step.get("at", ""))
        CallAttempt.objects.filter(id=attempt_id).update(connect_timeline=steps)
    return True


def _int(value: str) -> int:
    return int(value) if value.strip().isdigit() else 0


def prompt_end(event: Any, attempt: CallAttempt, at: dt.datetime) -> str:
    """wait_for_silence of an attendant stage returned."""
    stage = _int(event.get(f"variable_{STAGE_VARIABLE}"))
    timed_out = event.get("variable_wait_for_silence_timeout") == "true"
    note(attempt.id, {
        "key": f"prompt:{stage}", "step": "prompt_end", "stage": stage, "at": _iso(at),
        "timeout": timed_out,
        "listen_hits": _int(event.get("variable_wait_for_silence_listenhits")),
    })
    return "prompt_timeout" if timed_out else "prompt_end"


def digits(event: Any, attempt: CallAttempt, at: dt.datetime) -> str:
    """send_dtmf of one stage (blind: stage 0) left the plan."""
    stage = _int(event.get(f"variable_{STAGE_VARIABLE}"))
    note(attempt.id, {"key": f"digits:{stage}", "step": "digits", "stage": stage,
                      "at": _iso(at)})
    return "digits"


def digits_done(attempt: CallAttempt, at: dt.datetime) -> None:
    note(attempt.id, {"key": "digits_done", "step": "digits_done", "at": _iso(at)})


def ringback_tone(attempt: CallAttempt, at: dt.datetime, sequence: str) -> str:
    """DETECTED_TONE with this attempt's key: the extension is ringing."""
    added = note(attempt.id, {"key": "ringback", "step": "ringback_tone", "at": _iso(at),
                              "event_sequence": sequence})
    return "ringback" if added else "duplicate"


def beep(event: Any, attempt: CallAttempt, at: dt.datetime) -> str:
    """avmd::beep: a voicemail beep, or avmd mistaking a ringback burst for one (lab): each
    beep is kept (keyed by its Event-Sequence, which its queued copy repeats), so a real beep
    after a false one is not lost as a duplicate."""
    sequence = event.get("Event-Sequence") or ""
    added = note(attempt.id, {"key": f"beep:{sequence}" if sequence else "beep", "step": "beep",
                              "at": _iso(at), "frequency": event.get("Frequency")})
    return "beep" if added else "duplicate"


def thresholds_of(attempt: CallAttempt) -> Thresholds:
    campaign = attempt.campaign
    return Thresholds(person_max_ms=campaign.person_max_ms,
                      ring_timeout_s=campaign.ring_timeout_seconds)


def listen(event: Any, attempt: CallAttempt, at: dt.datetime,
           on_heard: Callable[[int, str], None] | None, floor: Any = None) -> str:
    """One listen after the digits returned: classify it, store it, maybe decide."""
    number = _int(event.get(f"variable_{LISTEN_VARIABLE}"))
    hits = _int(event.get("variable_wait_for_silence_listenhits"))
    timed_out = event.get("variable_wait_for_silence_timeout") == "true"
    row = CallAttempt.objects.only("connect_timeline", "heard").get(id=attempt.id)
    if row.heard:
        # Decided: this listen was cut short by our own transfer or kill (its variables are
        # the previous listen's).
        return "after_verdict"
    steps = list(row.connect_timeline or [])
    tone_steps = [s for s in steps if s.get("step") == "ringback_tone"]
    tone = bool(tone_steps)
    # When this listen began: the previous listen's end, or the digits' (or the answer's).
    earlier = [s["at"] for s in steps if s.get("step") in ("listen", "digits_done")]
    began = max(earlier) if earlier else ""
    tone_during = any(began <= s["at"] <= _iso(at) for s in tone_steps)
    ringing = [s for s in steps if s.get("step") == "listen" and s.get("heard") == Heard.RINGBACK]
    # A beep belongs to the sound it was heard in: one heard before the end of a listen
    # judged ringback was avmd mistaking the ringback for a beep, and is not held against
    # what is heard after it.
    rang_until = max((s["at"] for s in ringing), default="")
    beeped = any(s.get("step") == "beep" and s["at"] > rang_until for s in steps)
    thresholds = thresholds_of(attempt)
    heard = classify_listen(hits, timed_out, tone_heard=tone, ringing_seen=bool(ringing),
                            beep=beeped, thresholds=thresholds, tone_during=tone_during)
    note(attempt.id, {"key": f"listen:{number}", "step": "listen", "listen": number,
                      "at": _iso(at), "listen_hits": hits, "timeout": timed_out,
                      "heard": str(heard), "tone_heard": tone, "beep": beeped})
    if floor is not None and heard == Heard.RINGBACK:
        call_uuid = str(attempt.uuid)
        transaction.on_commit(lambda: floor.progress(
            call_uuid, at.timestamp(), phase="extension_ringing"))
    verdict = ""
    if heard in (Heard.PERSON, Heard.MACHINE):
        verdict = str(heard)
    else:
        starts = [dt.datetime.fromisoformat(s["at"]) for s in steps
                  if s.get("step") == "ringback_tone" or s in ringing]
        if starts and (at - min(starts)).total_seconds() >= thresholds.ring_timeout_s:
            verdict = NO_PERSON
    if not verdict:
        return f"listen_{heard}"
    if floor is not None and verdict in (Heard.PERSON, Heard.MACHINE):
        call_uuid = str(attempt.uuid)
        transaction.on_commit(lambda: floor.progress(call_uuid, at.timestamp(), phase=verdict))
    return decide(attempt, verdict, at, on_heard, hits=hits,
                  silence_ms=attempt.campaign.listen_silence_ms)


def plan_ended(attempt: CallAttempt, at: dt.datetime,
               on_heard: Callable[[int, str], None] | None) -> str:
    """The plan parked after its last listen with nobody heard: no person."""
    return decide(attempt, NO_PERSON, at, on_heard)


def decide(attempt: CallAttempt, verdict: str, at: dt.datetime,
           on_heard: Callable[[int, str], None] | None, *, hits: int = 0,
           silence_ms: int = 0) -> str:
    """Record the verdict once (compare-and-set on heard = ''), then act after the commit."""
    with transaction.atomic():
        fields: dict[str, Any] = {"heard": verdict}
        if verdict == Heard.PERSON:
            fields["hello_at"] = at
        if not CallAttempt.objects.filter(id=attempt.id, heard="", ended_at__isnull=True).update(
                **fields):
            return "decided_before"
        entry: dict[str, Any] = {"key": "verdict", "step": verdict, "at": _iso(at)}
        if verdict == Heard.PERSON:
            # wait_for_silence returns silence_ms + 500 ms after the utterance: when it ended.
            ended = at - dt.timedelta(milliseconds=silence_ms + COUNTDOWN_MS)
            entry["speech_ended_at"] = _iso(ended)
            entry["speech_frames"] = hits
        note(attempt.id, entry)
        if on_heard is not None:
            attempt_id = attempt.id
            transaction.on_commit(lambda: on_heard(attempt_id, verdict))
    return verdict
