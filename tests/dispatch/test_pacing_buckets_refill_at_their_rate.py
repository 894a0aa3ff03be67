"""Buckets refill at their rate, never beyond their burst, and report what the next second holds."""

from __future__ import annotations

import pytest

from telephony.pacing import Pacer, Scope, node_rate, node_scope

pytestmark = pytest.mark.integration

T0 = 1_800_000_000.0


@pytest.fixture
def pacer(redis_client, key_prefix) -> Pacer:
    return Pacer(redis_client, key_prefix)


def test_a_burst_of_one_spaces_calls_one_interval_apart(pacer):
    scope = Scope("trunk:1", 10, 1)

    assert pacer.take_tokens([scope], 1, T0) == 1
    assert pacer.take_tokens([scope], 1, T0 + 0.05) == 0
    assert pacer.take_tokens([scope], 1, T0 + 0.1) == 1
    assert pacer.take_tokens([scope], 1, T0 + 0.15) == 0


def test_an_idle_bucket_holds_no_more_than_its_burst(pacer):
    scope = Scope("trunk:1", 10, 3)
    assert pacer.take_tokens([scope], 3, T0) == 3

    later = T0 + 60  # far longer than needed to refill
    assert pacer.take_tokens([scope], 4, later) == 0
    assert pacer.take_tokens([scope], 3, later) == 3
    assert pacer.take_tokens([scope], 1, later) == 0


def test_available_counts_the_calls_the_next_second_can_pass(pacer):
    smooth, bursty = Scope("trunk:1", 5, 1), Scope("trunk:2", 5, 3)

    assert pacer.available([smooth], T0) == 5
    assert pacer.available([bursty], T0) == 7  # three at once, then one per 200 ms
    pacer.take_tokens([smooth], 1, T0)
    assert pacer.available([smooth], T0) == 4
    assert pacer.available([smooth, bursty], T0) == 4  # the tightest scope decides
    assert pacer.available([smooth], T0 + 10) == 5


def test_available_does_not_take_anything(pacer):
    scope = Scope("trunk:1", 2, 1)
    for _ in range(3):
        assert pacer.available([scope], T0) == 2
    assert pacer.take_tokens([scope], 1, T0) == 1


def test_a_call_stamped_before_the_bucket_clock_is_refused_not_back_dated(pacer):
    scope = Scope("trunk:1", 1, 1)
    assert pacer.take_tokens([scope], 1, T0 + 5) == 1

    assert pacer.take_tokens([scope], 1, T0) == 0  # a skewed clock gains nothing


# FreeSWITCH admits sps - 1 sessions a second (capture 20) and a connected call takes two.
@pytest.mark.parametrize(("sps", "rate"), [(1, 0.5), (2, 0.5), (5, 2), (30, 14.5), (1000, 499.5)])
def test_node_rate_stays_below_freeswitch_sessions_per_second(sps, rate):
    assert node_rate(sps) == rate
    assert node_scope("fs1", sps).rate == rate
