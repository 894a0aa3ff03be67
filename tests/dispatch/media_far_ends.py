"""Scripted far ends for the media-aware connect tests: attendants with extensions."""

from __future__ import annotations

from typing import Any


def attendant(*, greeting_ms: int = 1400, pause_ms: int = 280, prompt_ms: int = 900,
              stages: int = 1, digits: tuple[int, ...] = (3,), then: list[dict[str, Any]] | None
              = None) -> list[dict[str, Any]]:
    """A greeting with a short pause between its phrases, then per stage a prompt and a wait
    for that stage's digits; then `then` (ringback, a hello, a voicemail...)."""
    media: list[dict[str, Any]] = [
        {"kind": "silence", "ms": 200},
        {"kind": "speech", "ms": greeting_ms, "label": "greeting"},
        {"kind": "silence", "ms": pause_ms},
        {"kind": "speech", "ms": prompt_ms, "label": "greeting"},
    ]
    for stage in range(stages):
        if stage:
            media += [{"kind": "silence", "ms": 400},
                      {"kind": "speech", "ms": prompt_ms, "label": "prompt"}]
        media.append({"kind": "await_digits", "digits": digits[stage], "ms": 15_000})
    return media + (then or [])


def ringback(bursts: int, *, detectable: bool = True) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"kind": "silence", "ms": 300}]
    for i in range(bursts):
        out.append({"kind": "ringback", "ms": 2000, "label": "ringback",
                    "detectable": detectable})
        out.append({"kind": "silence", "ms": 4000 if i < bursts - 1 else 700})
    return out


HELLO = [{"kind": "speech", "ms": 520, "hits": 24, "label": "hello"},
         {"kind": "silence", "ms": 340},
         {"kind": "speech", "ms": 737, "hits": 32, "label": "hello"},
         {"kind": "silence", "ms": 30_000}]
VOICEMAIL = [{"kind": "speech", "ms": 3431, "hits": 123, "label": "voicemail"},
             {"kind": "silence", "ms": 300},
             {"kind": "beep", "ms": 500, "label": "beep"},
             {"kind": "silence", "ms": 30_000}]
NEVER_PAUSES = [{"kind": "noise", "ms": 600_000, "label": "greeting"}]
