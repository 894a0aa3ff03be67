"""The one table from hangup causes to outcome classes, per leg (captures 08-11, 19, 20)."""

from __future__ import annotations

import pytest

from campaigns.models import Outcome
from campaigns.services.call_path.outcomes import Leg, Retry, classify

TARGET_ROWS = [
    ("USER_BUSY", Outcome.BUSY, Retry.BUSY, True),
    ("NO_ANSWER", Outcome.NO_ANSWER, Retry.NO_ANSWER, True),
    ("NO_USER_RESPONSE", Outcome.NO_ANSWER, Retry.NO_ANSWER, True),
    ("CALL_REJECTED", Outcome.REJECTED, Retry.FINAL, True),
    ("UNALLOCATED_NUMBER", Outcome.INVALID_NUMBER, Retry.FINAL, True),
    ("INVALID_NUMBER_FORMAT", Outcome.INVALID_NUMBER, Retry.FINAL, True),
    ("NORMAL_TEMPORARY_FAILURE", Outcome.NODE_FAILURE, Retry.ELSEWHERE, False),
    ("DESTINATION_OUT_OF_ORDER", Outcome.NODE_FAILURE, Retry.ELSEWHERE, False),
    ("GATEWAY_DOWN", Outcome.NODE_FAILURE, Retry.ELSEWHERE, False),
    ("SYSTEM_SHUTDOWN", Outcome.NODE_FAILURE, Retry.ELSEWHERE, False),
    ("RECOVERY_ON_TIMER_EXPIRE", Outcome.NO_ANSWER, Retry.NO_ANSWER, True),
    ("INCOMPATIBLE_DESTINATION", Outcome.FAILED, Retry.FAILED, True),
    ("SOMETHING_NEW", Outcome.FAILED, Retry.FAILED, True),
]


@pytest.mark.parametrize(("cause", "outcome", "retry", "counts"), TARGET_ROWS)
def test_target_leg_causes_map_to_their_outcome_class(cause, outcome, retry, counts):
    found = classify(cause, Leg.TARGET)
    assert (found.outcome, found.retry, found.counts_as_attempt) == (outcome, retry, counts)


AGENT_ROWS = [
    ("USER_NOT_REGISTERED", Outcome.AGENT_UNAVAILABLE),
    ("USER_BUSY", Outcome.AGENT_UNAVAILABLE),
    ("NO_ANSWER", Outcome.AGENT_UNAVAILABLE),
    ("SUBSCRIBER_ABSENT", Outcome.AGENT_UNAVAILABLE),
    ("DESTINATION_OUT_OF_ORDER", Outcome.NODE_FAILURE),
]


@pytest.mark.parametrize(("cause", "outcome"), AGENT_ROWS)
def test_agent_leg_failures_are_retried_without_counting_against_the_target(cause, outcome):
    found = classify(cause, Leg.AGENT)
    expected = (outcome, Retry.ELSEWHERE, False)
    assert (found.outcome, found.retry, found.counts_as_attempt) == expected


def test_cause_text_is_matched_after_trimming_the_reply_newline_and_case():
    assert classify("user_busy\n").outcome == Outcome.BUSY
