"""Channel event headers (all but variable_*) are named and ordered as in capture 03."""

from __future__ import annotations

import pytest

from tests.emulator.captures import server_frames

A = "00000000-0000-4000-8000-000000000003"
CAPTURE = "03-originate-answer-dtmf-kill.plain.esl.txt"


def _first_by_name(frames) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in frames:
        if f.content_type != "text/event-plain":
            continue
        headers = f.event_headers()
        name = dict(headers)["Event-Name"]
        out.setdefault(name, [k for k, _ in headers if not k.startswith("variable_")])
    return out


@pytest.fixture(scope="module")
def captured() -> dict[str, list[str]]:
    return _first_by_name(server_frames(CAPTURE))


@pytest.fixture
def ours(esl) -> dict[str, list[str]]:
    conn = esl()
    conn.cmd("event plain ALL")
    conn.cmd(
        f"bgapi originate {{origination_uuid={A},ignore_early_media=true}}"
        "sofia/internal/4008001234@127.0.0.1:5090 &park()"
    )
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_PARK")
    conn.api(f"uuid_kill {A}")
    conn.wait_event(lambda e: e["Event-Name"] == "CHANNEL_DESTROY")
    conn.drain(0.05)
    return _first_by_name(conn.events)


@pytest.mark.parametrize(
    "name",
    [
        "CHANNEL_OUTGOING", "CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_ORIGINATE",
        "CHANNEL_PROGRESS", "CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "BACKGROUND_JOB",
        "CHANNEL_EXECUTE", "CHANNEL_PARK", "CHANNEL_HANGUP", "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
    ],
)  # fmt: skip
def test_header_names_and_order_equal_the_capture(captured, ours, name):
    assert ours[name] == captured[name]
