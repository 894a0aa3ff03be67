"""Helpers to compare an emulated event stream with a capture's, by event name and leg."""

from __future__ import annotations

from tests.emulator.captures import captured_events

# Events the emulator does not model (media, scheduler, per-API and presence noise).
NOT_MODELLED = {
    "API", "RE_SCHEDULE", "CODEC", "CALL_UPDATE", "DTMF", "PLAYBACK_START", "PLAYBACK_STOP",
    "HEARTBEAT", "PRESENCE_IN", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CHANNEL_CALLSTATE",
    "CHANNEL_STATE", "CUSTOM", "RECV_RTCP_MESSAGE", "SEND_RTCP_MESSAGE", "CHANNEL_DATA",
}  # fmt: skip


def sequence(events: list[dict[str, str]], roles: dict[str, str] | None = None) -> list[str]:
    """`NAME(role)` per event; legs are named A, B, ... in order of appearance."""
    roles = {} if roles is None else roles
    out = []
    for ev in events:
        name = ev.get("Event-Name", "")
        if name in NOT_MODELLED:
            continue
        uid = ev.get("Unique-ID")
        if uid is None:
            label = ev.get("Event-Subclass", "")
            out.append(f"{name}({label})" if label else name)
            continue
        role = roles.setdefault(uid, "AB"[len(roles)] if len(roles) < 2 else f"L{len(roles)}")
        extra = ev.get("Application", "") if name.startswith("CHANNEL_EXECUTE") else ""
        out.append(f"{name}({role}{':' + extra if extra else ''})")
    return out


def captured_sequence(name: str) -> list[str]:
    """The modelled part of a capture's event order."""
    return sequence(captured_events(name))
