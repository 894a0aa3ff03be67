"""The plan's fallback hold (lab report, s12): ringback for the failover window and never longer,
measured the way the emulator times a `playback` of a tone_stream (whole cadences, then a cut
one). Rounding up to whole 6 s cadences had held the callee 24 s in a 20 s window."""

import pytest

from emulator.apps import playback_ms
from telephony.originate import render_agent_transfer

CALL = "0b6c4a33-3e3f-4b1f-9a07-6f1e0d7c2a11"


def _hold_apps(hold_ms):
    plan = render_agent_transfer(CALL, "1002", "10.0.0.5", 15, hold_ms, "tone:500/500/480+620x1")
    apps = plan.split("'m:|:", 1)[1].split("' inline")[0].split("|")
    # Between the bridge and the abandon message (then its played mark and the hangup).
    assert apps[-2].startswith("set:switchboard_abandon=") and apps[-1].startswith("hangup:")
    return [a.removeprefix("playback:") for a in apps[1:-3]]


@pytest.mark.parametrize(
    "hold_ms", [1, 1500, 2000, 5999, 6000, 6001, 8500, 20_000, 23_999, 300_000])
def test_the_hold_lasts_the_window_exactly(hold_ms):
    assert sum(playback_ms(a) for a in _hold_apps(hold_ms)) == hold_ms


def test_a_20_second_window_is_three_cadences_and_one_ring():
    assert _hold_apps(20_000) == ["tone_stream://%(2000,4000,440,480);loops=3",
                                  "tone_stream://%(2000,0,440,480)"]


def test_no_hold_plays_nothing_before_the_abandon_message():
    assert _hold_apps(0) == []
