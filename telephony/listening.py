"""Listening to the line: the media-aware connect's grammars, plans and classification.

Pure functions and frozen values, no Django (STYLE rules 9, 18). What FreeSWITCH's applications
report is in the fixtures README, "Media-aware connect" (captures 43-48); the facts this module
is built on:

* `wait_for_silence <thresh> <silence_hits> <listen_hits> <timeout_ms>` returns silence_hits x
  20 ms **plus a fixed 500 ms** after the sound ends, so `silence_ms` must exceed the greeting's
  own pauses (10 hits fired inside a 0.28 s pause, capture 43). A greeting that never pauses
  gives only the timeout (`wait_for_silence_timeout=true`) and the plan goes on: the digits are
  sent anyway and the attempt records that they were sent on the timeout (44).
  `wait_for_silence_listenhits` counts the loud frames of what was heard: a 2 s ringback burst
  100, "Hello? This is Bob." 56, a voicemail greeting and its beep 148.
* `tone_detect` fires DETECTED_TONE once per arm, **without a Unique-ID**: the key is the only
  link to the call, so it is per attempt (`ringback_key`); a second copy with the channel
  headers and the same Event-Sequence may follow (deduplicated by the stream's (Core-UUID,
  Event-Sequence) key). It may miss a ringback entirely (47): the cadence of the listens
  (bursts of about 100 loud frames) tells ringback without it.
* `avmd::beep` (with Unique-ID) marks a voicemail beep; the API `avmd <uuid> stop` always says
  DETECTED, so only the beep event counts.
* Nothing says "a person": a short utterance (at most `person_max_ms` of loud frames) after the
  ringback, with no beep, is a person; a longer one, or a beep, is a machine. The threshold is
  the campaign's, and an utterance between the two is taken for a person (hanging up on a
  person is the worse mistake).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from telephony.dialstring import DialstringError, dtmf_length_ms, render_dtmf, validate_extension

FRAME_MS = 20
COUNTDOWN_MS = 500  # wait_for_silence's fixed countdown after the silence it wanted
RINGBACK_BURST_HITS = 100  # a 2 s ringback burst: exactly 100 loud frames (45, 46)
RINGBACK_BAND = (88, 112)  # loud frames a listen over one burst may count
TONE_EXACT_BAND = (96, 104)  # ...and without the tone heard: only a tone is that full
RINGBACK_CYCLE_MS = 6000  # US ringback: 2 s on, 4 s off
STAGE_VARIABLE = "switchboard_stage"  # set before each stage's wait: its events carry it
LISTEN_VARIABLE = "switchboard_listen"  # set before each listen after the digits


class ConnectPlan(enum.StrEnum):
    BLIND = "blind"  # the settle delay, then the digits (today's plan)
    ATTENDANT = "attendant"  # wait for each prompt to finish, then that stage's digits


class Heard(enum.StrEnum):
    RINGBACK = "ringback"
    PERSON = "person"
    MACHINE = "machine"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Listening:
    """wait_for_silence's four numbers, as a campaign sets them (each range-checked)."""

    threshold: int = 200  # mean absolute sample of a loud 20 ms frame
    silence_ms: int = 600  # quiet needed after the sound (more than the greeting's pauses)
    listen_hits: int = 10  # loud frames before silence counts (skips leading silence)
    timeout_ms: int = 10_000  # per wait: then the plan goes on regardless

    def silence_hits(self) -> int:
        return self.silence_ms // FRAME_MS


LIMITS = {
    "threshold": (50, 5000),
    "silence_ms": (300, 3000),
    "listen_hits": (1, 100),
    "timeout_ms": (1000, 60_000),
}


def _check(value: object, name: str) -> int:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DialstringError(f"{name} must be a whole number from {low} to {high}")
    return value


def validate_listening(listening: Listening) -> Listening:
    """Return the value when every number is in range, else raise DialstringError."""
    for name in LIMITS:
        _check(getattr(listening, name), name)
    if listening.silence_ms % FRAME_MS:
        raise DialstringError(f"silence_ms must be a multiple of {FRAME_MS}")
    return listening


def render_wait_for_silence(listening: Listening, timeout_ms: int | None = None) -> str:
    """`wait_for_silence:<thresh> <hits> <listen> <timeout>` from range-checked integers."""
    lst = validate_listening(listening)
    timeout = _check(lst.timeout_ms if timeout_ms is None else timeout_ms, "timeout_ms")
    return f"wait_for_silence:{lst.threshold} {lst.silence_hits()} {lst.listen_hits} {timeout}"


def validate_connect_plan(value: object) -> ConnectPlan:
    """A connect plan by its exact name, else DialstringError."""
    if not isinstance(value, str) or value not in {p.value for p in ConnectPlan}:
        raise DialstringError(f"connect plan must be one of {[p.value for p in ConnectPlan]}")
    return ConnectPlan(value)


def extension_stages(extension: str) -> list[str]:
    """The extension's stages: commas separate prompts, each waited for in the attendant plan
    (",,567" is one stage: leading commas were a blind wait, which listening replaces)."""
    text = validate_extension(extension)
    return [stage for stage in text.split(",") if stage.strip("wW")]


def attendant_apps(extension: str, listening: Listening, *, tone_ms: int, pause_ms: int,
                   comma_ms: int) -> list[str]:
    """Per stage: mark it, wait for the prompt to finish, send its digits, wait them out."""

    apps: list[str] = []
    for number, stage in enumerate(extension_stages(extension), start=1):
        dtmf = render_dtmf(stage, duration_ms=tone_ms, pause_ms=pause_ms, comma_ms=comma_ms)
        apps += [
            f"set:{STAGE_VARIABLE}={number}",
            render_wait_for_silence(listening),
            f"send_dtmf:{dtmf}",
            f"sleep:{dtmf_length_ms(dtmf)}",
        ]
    return apps


def ringback_key(attempt_id: int) -> str:
    """tone_detect's key for one attempt: DETECTED_TONE carries only this (no Unique-ID)."""
    if isinstance(attempt_id, bool) or not isinstance(attempt_id, int) or attempt_id < 1:
        raise DialstringError("attempt id must be a positive whole number")
    return f"sbrb{attempt_id}"


def attempt_of_ringback_key(key: str) -> int | None:
    """The attempt id a DETECTED_TONE key names, or None when it is not ours."""
    if key.startswith("sbrb") and key[4:].isdigit() and len(key) < 24:
        return int(key[4:])
    return None


@dataclass(frozen=True)
class Thresholds:
    """A campaign's person/machine heuristic."""

    person_max_ms: int = 2400  # a first utterance with at most this much sound is a person
    ring_timeout_s: int = 30  # the extension may ring this long: then no_person

    def person_max_hits(self) -> int:
        return self.person_max_ms // FRAME_MS


THRESHOLD_LIMITS = {"person_max_ms": (600, 10_000), "ring_timeout_s": (6, 120)}


def validate_thresholds(thresholds: Thresholds) -> Thresholds:
    for name, (low, high) in THRESHOLD_LIMITS.items():
        value = getattr(thresholds, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DialstringError(f"{name} must be a whole number from {low} to {high}")
    return thresholds


def listens_for(thresholds: Thresholds, listening: Listening) -> tuple[int, int]:
    """(how many listens, each one's timeout in ms) after the digits: enough to cover the
    ringback's whole allowance (one listen per 6 s cadence) plus the answer and its silence."""
    per_listen = max(RINGBACK_CYCLE_MS + 2000, listening.silence_ms + COUNTDOWN_MS + 2000)
    count = math.ceil(thresholds.ring_timeout_s * 1000 / RINGBACK_CYCLE_MS) + 3
    return count, min(per_listen, LIMITS["timeout_ms"][1])


def classify_listen(listen_hits: int, timed_out: bool, *, tone_heard: bool, ringing_seen: bool,
                    beep: bool, thresholds: Thresholds, tone_during: bool = False) -> Heard:
    """What one listen after the digits heard (pure: the evidence is stored beside it).

    1. A ringback burst is ringback even when avmd called a beep during it: real avmd takes
       the 440 Hz of the ringback for a beep (lab, FreeSWITCH 1.10.12: `avmd::beep` with
       `Frequency` 443-450 inside a burst in 2 of 2 calls), and a beep would hang up on the
       person whose hello comes after the ringing. A burst is 2b or 3 below.
    1b. Otherwise a beep is a machine, whatever else was heard.
    2. Almost nothing loud is nothing (the listen timed out on silence).
    2b. A sound during which tone_detect heard the ringback is ringback.
    3. A burst of about 100 loud frames is ringback once the tone was detected or ringing was
       already seen (the cadence); without either (tone_detect missed it, capture 47) only a
       burst as exact as a tone's (96-104 frames: speech is never that full) counts.
    4. A short utterance is a person (one who picks up without ringing included).
    5. A long sound before any ringing is not judged: the attendant may still be talking over
       the digits (a greeting that never pauses, capture 44), and a machine that took the call
       without ringing gives itself away by its beep (rule 1). Hanging up on a person is the
       worse mistake.
    6. A long sound after the ringing is a machine.
    """
    low, high = RINGBACK_BAND if (tone_heard or ringing_seen) else TONE_EXACT_BAND
    if listen_hits > 2 and (tone_during or low <= listen_hits <= high):
        # The ringback tone was detected inside this sound (whatever else it held: the end of
        # an attendant's greeting running into the first burst), or it was a burst's length.
        return Heard.RINGBACK
    if beep:
        return Heard.MACHINE
    if listen_hits <= 2:
        return Heard.NOTHING
    if listen_hits <= thresholds.person_max_hits():
        return Heard.PERSON
    if not (tone_heard or ringing_seen):
        return Heard.NOTHING
    return Heard.MACHINE
