"""The pacer's level follows what it measures: agents leaving mid-shift, fewer attempts reaching
a person, shorter talks, and calls already in flight."""

from __future__ import annotations

from telephony.predictive import decide
from tests.telephony.pacer_world import floor, measured


def test_agents_leaving_mid_shift_means_fewer_calls():
    calls = [decide(floor(agents=n, idle=5)).calls for n in (100, 50, 20, 5)]
    assert calls == sorted(calls, reverse=True), calls
    assert calls[0] > calls[-1]


def test_every_agent_gone_means_no_call():
    decision = decide(floor(agents=0, idle=0))
    assert (decision.calls, decision.level) == (0, None)


def test_a_lower_live_rate_means_more_calls_per_free_agent():
    calls = [decide(floor(m=measured(live=live))).calls for live in (0.6, 0.4, 0.2, 0.1)]
    assert calls == sorted(calls), calls
    assert calls[-1] > 2 * calls[0], calls


def test_longer_talks_mean_fewer_agents_free_soon_and_fewer_calls():
    calls = [decide(floor(m=measured(talk_mean=t))).calls for t in (60, 240, 900)]
    assert calls == sorted(calls, reverse=True), calls
    assert calls[0] > calls[-1]


def test_calls_in_flight_are_counted_before_new_ones():
    calls = [decide(floor(in_flight=n)).calls for n in (0, 10, 40, 200)]
    assert calls == sorted(calls, reverse=True), calls
    assert calls[-1] == 0


def test_the_level_is_capped_per_free_agent():
    decision = decide(floor(agents=10, idle=1, m=measured(live=0.01, resolved=2000)))
    assert decision.level is not None and decision.level <= 20.0
