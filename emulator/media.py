"""Scripted far-end audio and what FreeSWITCH's media applications report about it.

A number's outcome may carry a media timeline: the segments the far end plays from its answer on
(an auto-attendant's greeting and its pauses, the prompt, the extension's ringback, a person's
hello or a voicemail greeting and its beep, silence). An `await_digits` segment makes the far end
wait for the caller's digits, as a real attendant does, before the rest plays. The applications
below read that timeline the way FreeSWITCH's do, with the traps captures 43-48 show:

* `wait_for_silence <thresh> <silence_hits> <listen_hits> <timeout_ms>` returns `silence_hits`
  x 20 ms after the sound ends **plus a fixed 500 ms countdown** during which it no longer
  listens (so a pause shorter than that still fires it, capture 43 call 1); silence only counts
  after `listen_hits` loud frames; on timeout `wait_for_silence_timeout=true` and the plan goes
  on (44). `wait_for_silence_listenhits` counts loud frames (a segment's `hits`),
  `wait_for_silence_silence_hits` is the remaining countdown (0, or untouched on timeout).
* `tone_detect <key> <freqs> r +<secs>`: one DETECTED_TONE per arm, `detect_ms` after the first
  matching tone segment begins (ringback 574-993 ms, a 1 kHz beep 94 ms), never for a segment
  scripted `detectable: false` (the miss of capture 47). The event fired at detection has **no
  Unique-ID** (only `Detected-Tone`); a second copy with the channel headers, same
  Event-Sequence and time, waits in the session's queue until `park` handles it (at once when
  parked, else at the next `park`: 45, 46, 47b, 47c).
* `avmd_start` / `avmd_stop` (applications): avmd::start, avmd::beep 154 ms after a beep
  begins (with Unique-ID), avmd::stop with `Beep-Status` DETECTED or NOTDETECTED; their copies
  queue like DETECTED_TONE's. The API `avmd <uuid> stop` **always** says DETECTED (47).
* `detect_audio <thresh> <hits> <timeout_ms>` / `detect_silence <thresh> <hits> <timeout_ms>`:
  return at the next edge, onsets about 140 ms and ends about 330 ms late (48).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from emulator.channel import Channel

FRAME_S = 0.02
COUNTDOWN_S = 0.5  # switch_ivr_wait_for_silence's fixed 25-frame countdown (43-48)
MEDIA_LAG_S = 0.02  # the far end's first RTP packet after the answer (6-93 ms in 43-48)
SPEECH_HIT_RATIO = 0.82  # loud frames of a phrase (81 of 99 in 43, 195 of the greeting's 237)
SEGMENT_KINDS = ("silence", "speech", "ringback", "beep", "noise", "await_digits")
LEVELS = {
    "silence": 0, "await_digits": 0, "speech": 2000, "ringback": 4000, "beep": 8000, "noise": 600,
}  # fmt: skip
TONE_FREQS = {"ringback": frozenset({440, 480}), "beep": frozenset({1000})}
DETECT_MS = {"ringback": 780, "beep": 94}  # tone_detect: 574-993 ms (45-47c), 94 ms (45)
AVMD_BEEP_MS = 154  # avmd::beep after the beep began (45)
BEEP_FREQUENCY = "950.504857"  # avmd's Frequency for the 1 kHz beep (45)
MISTAKEN_BEEP_FREQUENCY = "443.199984"  # ...for a ringback burst it took for a beep (lab)
DETECT_AUDIO_LAG_S = 0.14  # detect_audio onsets 132-144 ms late (48)
DETECT_SILENCE_LAG_S = 0.03  # detect_silence: hits x 20 ms plus this after the end (326-341 ms)
COPY_GAP_S = 0.02  # queued copies leave one per 20 ms once park runs (45)


@dataclass(frozen=True)
class Segment:
    """One stretch of what the far end plays.

    kind: silence | speech | ringback | beep | noise (a bed that never falls silent) |
    await_digits (silence until `digits` more digits have been played, at most `ms`).
    label: what it is for the log (greeting, prompt, hello, voicemail). hits: the loud frames
    wait_for_silence counts over it (default: every frame of a tone, 82 % of a phrase's).
    detectable: tone_detect hears this tone. detect_ms: how late tone_detect reports it.
    avmd_ms: avmd takes this segment for a beep, this many ms after it begins (real avmd did so
    on the 440+480 Hz ringback: `Frequency` 443-450, 0.2-0.5 s into a burst; lab 2026-12-08).
    """

    kind: str
    ms: int = 0
    label: str = ""
    hits: int | None = None
    detectable: bool = True
    detect_ms: int | None = None
    digits: int = 0
    avmd_ms: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(
                f"unknown media segment kind {self.kind!r}; one of {list(SEGMENT_KINDS)}"
            )
        if (self.ms < 0 or (self.hits is not None and self.hits < 0) or self.digits < 0
                or (self.avmd_ms is not None and self.avmd_ms < 0)):
            raise ValueError("media segment ms, hits, digits and avmd_ms must be >= 0")
        if self.kind == "await_digits" and self.digits < 1:
            raise ValueError("an await_digits segment needs digits >= 1")

    @property
    def frames(self) -> int:
        return max(self.ms // 20, 1)

    @property
    def loud(self) -> bool:
        return LEVELS[self.kind] > 0

    def hit_rate(self) -> float:
        """Loud frames counted per frame of this segment."""
        if not self.loud:
            return 0.0
        if self.hits is not None:
            return self.hits / self.frames
        return SPEECH_HIT_RATIO if self.kind == "speech" else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", 0) or k == "ms"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown media segment fields: {sorted(unknown)}")
        return cls(**data)


def parse_media(items: Any) -> tuple[Segment, ...]:
    """A timeline from the control API's JSON list (segments as dicts)."""
    if items is None:
        return ()
    if not isinstance(items, list | tuple):
        raise ValueError("media must be a list of segments")
    return tuple(s if isinstance(s, Segment) else Segment.from_dict(dict(s)) for s in items)


@dataclass(frozen=True)
class Span:
    """A segment placed on the wall clock."""

    start: float
    end: float
    segment: Segment


def resolve(script: tuple[Segment, ...], start: float, digit_ends: list[float]) -> list[Span]:
    """Place the timeline from `start`; each await_digits ends when its digits have been played
    (their ends, in order), or after its `ms`; an unmet wait with no timeout ends the timeline."""
    spans: list[Span] = []
    t = start
    used = 0
    for seg in script:
        if seg.kind == "await_digits":
            need = used + seg.digits
            if len(digit_ends) >= need:
                end = max(t, digit_ends[need - 1])
                if seg.ms:
                    end = min(end, t + seg.ms / 1000.0)
                used = need
            elif seg.ms:
                end = t + seg.ms / 1000.0
            else:
                spans.append(Span(t, float("inf"), seg))
                return spans
            spans.append(Span(t, end, seg))
            t = end
            continue
        spans.append(Span(t, t + seg.ms / 1000.0, seg))
        t += seg.ms / 1000.0
    return spans


def at(spans: list[Span], t: float) -> Segment | None:
    """The segment playing at `t` (None: silence after the timeline)."""
    for span in spans:
        if span.start <= t < span.end:
            return span.segment
    return None


def level(seg: Segment | None) -> int:
    return 0 if seg is None else LEVELS[seg.kind]


@dataclass(frozen=True)
class SilenceResult:
    done_at: float
    timeout: bool
    listen_hits: int
    silence_left: int


def _span_at(spans: list[Span], t: float) -> int:
    for i, span in enumerate(spans):
        if span.start <= t < span.end:
            return i
    return -1


def _heard(spans: list[Span], frames: dict[int, int]) -> int:
    """Loud frames counted: each segment's share, never more than its scripted hits."""
    total = 0
    for i, n in frames.items():
        seg = spans[i].segment
        cap = seg.hits if seg.hits is not None else n
        total += min(cap, round(n * seg.hit_rate()))
    return total


def wait_for_silence(
    spans: list[Span],
    t0: float,
    thresh: int,
    silence_hits: int,
    listen_hits: int,
    timeout_ms: int,
) -> SilenceResult:
    """switch_ivr_wait_for_silence over a timeline, frame by frame (see the module's notes)."""
    frames = max(timeout_ms // 20, 1)
    loud_by_span: dict[int, int] = {}
    loud_frames = 0
    quiet = 0
    for i in range(frames):
        idx = _span_at(spans, t0 + (i + 0.5) * FRAME_S)
        seg = spans[idx].segment if idx >= 0 else None
        if seg is not None and level(seg) >= thresh:
            loud_by_span[idx] = loud_by_span.get(idx, 0) + 1
            loud_frames += 1
            quiet = 0
        elif loud_frames >= listen_hits:
            quiet += 1
            if quiet >= silence_hits:
                done = t0 + (i + 1) * FRAME_S + COUNTDOWN_S
                return SilenceResult(done, False, _heard(spans, loud_by_span), 0)
    # The timeout is counted in frames read, which arrive a frame early (7.972 s of 8000, 44).
    return SilenceResult(
        t0 + (frames - 1) * FRAME_S, True, _heard(spans, loud_by_span), silence_hits
    )


def next_edge(
    spans: list[Span], t0: float, thresh: int, hits: int, loud: bool, timeout_ms: int
) -> tuple[float, bool]:
    """detect_audio (loud=True: more than `hits` loud frames in a row) or detect_silence
    (`hits` quiet frames in a row): when it returns, and whether it timed out."""
    frames = max(timeout_ms // 20, 1)
    run = 0
    for i in range(frames):
        seg = at(spans, t0 + (i + 0.5) * FRAME_S)
        if (level(seg) >= thresh) == loud:
            run += 1
            if (loud and run > hits) or (not loud and run >= hits):
                lag = DETECT_AUDIO_LAG_S - (hits + 1) * FRAME_S if loud else DETECT_SILENCE_LAG_S
                return t0 + (i + 1) * FRAME_S + max(lag, 0.0), False
        else:
            run = 0
    return t0 + frames * FRAME_S, True


@dataclass
class Detector:
    """One armed tone_detect."""

    key: str
    freqs: frozenset[int]
    armed_at: float
    until: float
    handle: Any = None
    fired: bool = False


@dataclass
class MediaState:
    """A channel's media: its script, detectors, avmd and the session's queued event copies."""

    script: tuple[Segment, ...]
    detectors: list[Detector] = field(default_factory=list)
    avmd_started: float = 0.0
    avmd_handle: Any = None
    avmd_beep: bool = False
    queued: list[Callable[[], None]] = field(default_factory=list)
    flushing: bool = False


class MediaHost(Protocol):
    """What the media applications need of the call engine."""

    def emit(self, ch: Channel, name: str, *, state: str | None = None, **extra: str) -> None: ...

    def later(self, ch: Channel, ms: int | float, fn: Callable[[], None]) -> None: ...

    def fire(
        self,
        name: str,
        headers: list[tuple[str, str]],
        *,
        subclass: str = "",
        seq: int | None = None,
        stamp: float | None = None,
    ) -> tuple[int, float]: ...

    def complete_media(self, ch: Channel, app_uuid: str) -> None: ...


MEDIA_APPS = frozenset(
    {
        "wait_for_silence",
        "tone_detect",
        "avmd_start",
        "avmd_stop",
        "detect_audio",
        "detect_silence",
        "stop_tone_detect",
    }
)


def _ints(arg: str, count: int) -> list[int] | None:
    words = arg.split()
    if len(words) < count or not all(w.isdigit() for w in words[:count]):
        return None
    return [int(w) for w in words[:count]]


class Media:
    """The media applications of one node's channels."""

    def __init__(self, host: MediaHost) -> None:
        self.host = host

    @staticmethod
    def state(ch: Channel) -> MediaState | None:
        state = ch.media_state
        return state if isinstance(state, MediaState) else None

    def spans(self, ch: Channel) -> list[Span]:
        state = self.state(ch)
        if state is None or not ch.answered_at:
            return []
        ends = [d.played_at + d.duration_ms / 1000.0 for d in ch.dtmf if not d.dropped]
        return resolve(state.script, ch.answered_at + MEDIA_LAG_S, sorted(ends))

    # -- applications ------------------------------------------------------------------------

    def start(self, ch: Channel, name: str, arg: str, app_uuid: str) -> None:
        """Run one media application; blocking ones complete later through the host."""
        now = time.time()
        if name == "wait_for_silence":
            nums = _ints(arg, 4)
            if nums is None:
                self.host.complete_media(ch, app_uuid)
                return
            result = wait_for_silence(self.spans(ch), now, *nums)

            def done() -> None:
                ch.variables["wait_for_silence_timeout"] = "true" if result.timeout else "false"
                ch.variables["wait_for_silence_listenhits"] = str(result.listen_hits)
                ch.variables["wait_for_silence_silence_hits"] = str(result.silence_left)
                self.host.complete_media(ch, app_uuid)

            self.host.later(ch, (result.done_at - now) * 1000.0, done)
        elif name in ("detect_audio", "detect_silence"):
            nums = _ints(arg, 3)
            if nums is None:
                self.host.complete_media(ch, app_uuid)
                return
            loud = name == "detect_audio"
            when, timed_out = next_edge(self.spans(ch), now, nums[0], nums[1], loud, nums[2])

            def edge() -> None:
                ch.variables[f"{name}_timeout"] = "true" if timed_out else "false"
                self.host.complete_media(ch, app_uuid)

            self.host.later(ch, (when - now) * 1000.0, edge)
        elif name == "tone_detect":
            self._arm(ch, arg, now)
            self.host.complete_media(ch, app_uuid)
        elif name == "stop_tone_detect":
            state = self.state(ch)
            if state is not None:
                for det in state.detectors:
                    if det.handle is not None:
                        det.handle.cancel()
                state.detectors.clear()
            self.host.complete_media(ch, app_uuid)
        elif name == "avmd_start":
            self._avmd_start(ch, now)
            self.host.complete_media(ch, app_uuid)
        elif name == "avmd_stop":
            self._avmd_stop(ch, now, api=False)
            self.host.complete_media(ch, app_uuid)

    def _ensure(self, ch: Channel) -> MediaState:
        state = self.state(ch)
        if state is None:
            state = MediaState(script=())
            ch.media_state = state
        return state

    def _arm(self, ch: Channel, arg: str, now: float) -> None:
        words = arg.split()
        if len(words) < 3:
            return
        key = words[0]
        freqs = frozenset(int(f) for f in words[1].split(",") if f.strip().isdigit())
        secs = 0.0
        if len(words) > 3 and words[3].startswith("+") and words[3][1:].isdigit():
            secs = float(words[3][1:])
        until = now + secs if secs else float("inf")
        state = self._ensure(ch)
        state.detectors.append(Detector(key, freqs, now, until))
        self.reschedule(ch)

    def reschedule(self, ch: Channel) -> None:
        """(Re)compute when each armed detector and avmd will hear their tones (the timeline
        moves when digits are sent to an attendant that waits for them)."""
        state = self.state(ch)
        if state is None:
            return
        spans = self.spans(ch)
        now = time.time()
        for det in state.detectors:
            if det.fired:
                continue
            if det.handle is not None:
                det.handle.cancel()
                det.handle = None
            hit = _first_tone(spans, det.freqs, det.armed_at, det.until)
            if hit is not None:
                when = (
                    hit.start
                    + (
                        hit.segment.detect_ms
                        if hit.segment.detect_ms is not None
                        else DETECT_MS[hit.segment.kind]
                    )
                    / 1000.0
                )
                if when <= det.until:
                    det.handle = self._at(ch, when - now, functools.partial(self._tone, ch, det))
        if state.avmd_started and not state.avmd_beep:
            if state.avmd_handle is not None:
                state.avmd_handle.cancel()
                state.avmd_handle = None
            beep = _first_beep(spans, state.avmd_started)
            if beep is not None:
                if beep.segment.kind == "beep":
                    when = max(beep.start, state.avmd_started) + AVMD_BEEP_MS / 1000.0
                    frequency = BEEP_FREQUENCY
                else:  # avmd mistaking a tone for a beep
                    when = beep.start + (beep.segment.avmd_ms or 0) / 1000.0
                    frequency = MISTAKEN_BEEP_FREQUENCY
                state.avmd_handle = self._at(
                    ch, when - now, functools.partial(self._avmd_beep, ch, frequency))

    def _at(self, ch: Channel, delay_s: float, fn: Callable[[], None]) -> Any:
        handles_before = len(ch.timers)
        self.host.later(ch, max(delay_s, 0.0) * 1000.0, fn)
        return ch.timers[-1] if len(ch.timers) > handles_before else None

    def _tone(self, ch: Channel, det: Detector) -> None:
        if det.fired:
            return
        det.fired = True  # one detection per arm: tone_detect disarms itself
        det.handle = None
        now = time.time()
        ch.variables[f"tone_detect_{det.key}_total_time"] = str(int((now - det.armed_at) * 1000))
        own = [("Detected-Tone", det.key)]
        seq, stamp = self.host.fire("DETECTED_TONE", own)
        self._queue_copy(ch, "DETECTED_TONE", "", own, seq, stamp)

    def _avmd_headers(self, ch: Channel) -> list[tuple[str, str]]:
        return [("Unique-ID", ch.uuid), ("Call-command", "avmd")]

    def _avmd_start(self, ch: Channel, now: float) -> None:
        state = self._ensure(ch)
        state.avmd_started = now
        state.avmd_beep = False
        own = [*self._avmd_headers(ch), ("Start-time", str(int(now * 1_000_000)))]
        seq, stamp = self.host.fire("CUSTOM", own, subclass="avmd::start")
        self._queue_copy(ch, "CUSTOM", "avmd::start", own, seq, stamp)
        self.reschedule(ch)

    def _avmd_beep(self, ch: Channel, frequency: str = "") -> None:
        state = self._ensure(ch)
        if not state.avmd_started or state.avmd_beep:
            return
        state.avmd_beep = True
        state.avmd_handle = None
        now = time.time()
        ch.variables["avmd_detect"] = "TRUE"
        ch.variables["avmd_total_time"] = str(int((now - state.avmd_started) * 1000))
        own = [
                *self._avmd_headers(ch),
            ("Beep-Status", "DETECTED"), ("Frequency", frequency or BEEP_FREQUENCY),
            ("Frequency-variance", "0.000009"), ("Amplitude", "24178.485417"),
            ("Amplitude-variance", "2.777497"),
            ("Detection-time", str(int((now - state.avmd_started) * 1_000_000))),
            ("Detector-resolution", "2"), ("Detector-offset", "0"), ("Detector-index", "1"),
        ]  # fmt: skip
        seq, stamp = self.host.fire("CUSTOM", own, subclass="avmd::beep")
        self._queue_copy(ch, "CUSTOM", "avmd::beep", own, seq, stamp)

    def _avmd_stop(self, ch: Channel, now: float, api: bool) -> None:
        state = self._ensure(ch)
        if api:
            # avmd_api_main passes 0, which is BEEP_DETECTED, whatever was heard (47).
            own = [
                *self._avmd_headers(ch),
                ("Beep-Status", "DETECTED"),
                ("Stop-status", "ERROR (AVMD SESSION OBJECT NOT FOUND IN MEDIA BUG)"),
                ("Total-time", str(-int(now * 1_000_000) + 15_420_000)),
            ]
        else:
            status = "DETECTED" if state.avmd_beep else "NOTDETECTED"
            own = [
                *self._avmd_headers(ch),
                ("Beep-Status", status),
                ("Total-time", str(int((now - state.avmd_started) * 1_000_000))),
            ]
        if state.avmd_handle is not None:
            state.avmd_handle.cancel()
            state.avmd_handle = None
        state.avmd_started = 0.0
        seq, stamp = self.host.fire("CUSTOM", own, subclass="avmd::stop")
        self._queue_copy(ch, "CUSTOM", "avmd::stop", own, seq, stamp)

    def avmd_api(self, ch: Channel, action: str) -> str:
        """`avmd <uuid> start|stop`: the API's reply (capture 47)."""
        now = time.time()
        if action == "stop":
            self._avmd_stop(ch, now, api=True)
            return f"+OK\n [{ch.uuid}] [{ch.name}] stopped\n\n"
        if action == "start":
            self._avmd_start(ch, now)
            return f"+OK\n [{ch.uuid}] [{ch.name}] started!\n\n"
        return "-ERR, unknown command\n"

    # -- the session's event queue -----------------------------------------------------------

    def _queue_copy(
        self,
        ch: Channel,
        name: str,
        subclass: str,
        own: list[tuple[str, str]],
        seq: int,
        stamp: float,
    ) -> None:
        state = self._ensure(ch)

        def deliver() -> None:
            # The copy: the event's own headers, then the channel's (variables on CUSTOM).
            self.host.fire(
                name, own + ch.channel_headers(name), subclass=subclass, seq=seq, stamp=stamp
            )

        state.queued.append(deliver)
        if ch.parked:
            self.on_park(ch)

    def on_park(self, ch: Channel) -> None:
        """park handles the session's event queue: the copies leave, one per 20 ms."""
        state = self.state(ch)
        if state is None or not state.queued or state.flushing:
            return
        state.flushing = True

        def step() -> None:
            if state.queued:
                state.queued.pop(0)()
            if state.queued and ch.parked:
                self.host.later(ch, COPY_GAP_S * 1000.0, step)
            else:
                state.flushing = False

        self.host.later(ch, COPY_GAP_S * 1000.0, step)

    def log(self, ch: Channel) -> dict[str, Any]:
        """The timeline as placed, and each digit's fate: did it go out over sound?"""
        spans = self.spans(ch)
        digits = []
        for d in ch.dtmf:
            seg = at(spans, d.played_at)
            digits.append(
                {
                    "digit": d.digit,
                    "played_at": round(d.played_at, 6),
                    "over": seg.label or seg.kind if seg is not None and seg.loud else "",
                }
            )
        return {
            "timeline": [
                {
                    "kind": s.segment.kind,
                    "label": s.segment.label,
                    "start": round(s.start, 6),
                    "end": None if s.end == float("inf") else round(s.end, 6),
                }
                for s in spans
            ],
            "digits": digits,
            "digits_over_sound": sum(1 for d in digits if d["over"]),
        }


def _first_tone(
    spans: list[Span], freqs: frozenset[int], after: float, until: float
) -> Span | None:
    for span in spans:
        seg = span.segment
        tone = TONE_FREQS.get(seg.kind)
        if tone is None or (not tone <= freqs and not freqs <= tone):
            continue
        if span.end <= after or span.start > until:
            continue
        if not seg.detectable:
            continue
        if span.start < after:
            return Span(after, span.end, seg)
        return span
    return None


def _first_beep(spans: list[Span], after: float) -> Span | None:
    """The first span avmd reports as a beep: a beep, or a tone it mistakes for one (avmd_ms),
    whose report time is still ahead of `after`."""
    for span in spans:
        if span.segment.kind == "beep" and span.end > after:
            return span
        mistaken = span.segment.avmd_ms
        if mistaken is not None and span.start + mistaken / 1000.0 >= after:
            return span
    return None

