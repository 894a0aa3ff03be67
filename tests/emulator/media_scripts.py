"""The far ends of captures 43-48 as emulator media timelines (fixtures README, "Audio")."""

from __future__ import annotations

# aa_human.wav / aa_voicemail.wav up to 18.033 s: 0.3 s of silence, the greeting (5.233 s, pauses
# of 0.28 s at 1.98 s and 0.20 s at 3.96 s), 3 s of silence, ringback 2 s on / 4 s off twice.
# Loud frames per phrase from 43 (81 after the first phrase, 195 for the whole greeting).
ATTENDANT = [
    {"kind": "silence", "ms": 300},
    {"kind": "speech", "ms": 1980, "hits": 81, "label": "greeting"},
    {"kind": "silence", "ms": 280},
    {"kind": "speech", "ms": 1700, "hits": 65, "label": "greeting"},
    {"kind": "silence", "ms": 200},
    {"kind": "speech", "ms": 1073, "hits": 49, "label": "greeting"},
    {"kind": "silence", "ms": 3000},
    {"kind": "ringback", "ms": 2000, "label": "ringback"},
    {"kind": "silence", "ms": 4000},
    {"kind": "ringback", "ms": 2000, "label": "ringback"},
    {"kind": "silence", "ms": 1500},
]
# "Hello? This is Bob." 1.597 s with a 0.34 s pause; 56 loud frames (46).
HUMAN = [
    *ATTENDANT,
    {"kind": "speech", "ms": 520, "hits": 24, "label": "hello"},
    {"kind": "silence", "ms": 340},
    {"kind": "speech", "ms": 737, "hits": 32, "label": "hello"},
    {"kind": "silence", "ms": 2000},
    # SIPp's last packet wraps around to the WAV header: one loud frame (listenhits 1 in 46).
    {"kind": "noise", "ms": 20, "hits": 1, "label": "wav header"},
]
# The voicemail greeting (3.431 s), 0.3 s, the 1 kHz beep (0.5 s): 148 loud frames in all (45).
VOICEMAIL = [
    *ATTENDANT,
    {"kind": "speech", "ms": 3431, "hits": 123, "label": "voicemail"},
    {"kind": "silence", "ms": 300},
    {"kind": "beep", "ms": 500, "label": "beep"},
    {"kind": "silence", "ms": 1000},
]
# aa_nopause.wav, looped: speech over a music bed, never silent (397 loud frames in 8 s, 44).
NOPAUSE = [{"kind": "noise", "ms": 600_000, "hits": 29_850, "label": "greeting"}]
# The ringback tone_detect missed in 47 (the same far end as 47c, which it found).
HUMAN_UNHEARD_RINGBACK = [
    {**s, "detectable": False} if s["kind"] == "ringback" else s for s in HUMAN
]
