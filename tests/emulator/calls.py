"""Shared steps of the target_first / agent_first call-path tests against captures 26-35b."""

from __future__ import annotations

from tests.emulator.captures import captured_events

# The subscription every capture from 26 on used (a dialer's listener).
SUBSCRIBE = (
    "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE "
    "CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_PARK BACKGROUND_JOB "
    "DTMF HEARTBEAT CUSTOM sofia::register sofia::unregister sofia::expire sofia::sip_user_state "
    "sofia::pre_register sofia::register_attempt"
)

# The A-leg variables a dialer reads from CHANNEL_HANGUP_COMPLETE after a bridge (README).
BRIDGE_VARIABLES = (
    "Hangup-Cause",
    "variable_originate_disposition",
    "variable_DIALSTATUS",
    "variable_last_bridge_hangup_cause",
    "variable_originate_failed_cause",
    "variable_last_bridge_proto_specific_hangup_cause",
    "variable_sip_hangup_disposition",
    "variable_hangup_cause_q850",
)


def events_of(conn) -> list[dict[str, str]]:
    """The plain events a raw connection received, as dicts."""
    return [f.event() for f in conn.events]


def event(events: list[dict[str, str]], name: str, uuid: str, nth: int = 0) -> dict[str, str]:
    """The nth event called `name` on leg `uuid`."""
    found = [e for e in events if e.get("Event-Name") == name and e.get("Unique-ID") == uuid]
    return found[nth]


def captured(capture: str, name: str, uuid: str, nth: int = 0) -> dict[str, str]:
    """The same from a capture."""
    return event(captured_events(capture), name, uuid, nth)


def picked(ev: dict[str, str], keys: tuple[str, ...] = BRIDGE_VARIABLES) -> dict[str, str | None]:
    """The given headers of an event (None when absent)."""
    return {k: ev.get(k) for k in keys}


def wait_gone(conn, uuid: str, timeout: float = 10.0) -> None:
    """Wait for a leg's CHANNEL_HANGUP_COMPLETE, then let the rest of the burst arrive."""
    conn.wait_event(
        lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == uuid,
        timeout=timeout,
    )
    conn.drain(0.1)
