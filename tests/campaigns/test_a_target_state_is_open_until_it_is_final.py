"""A target's state says whether it is still open (to be dialled, or being dialled): exactly the
states that are not final."""

from __future__ import annotations

from campaigns.models import TargetState
from campaigns.models.target import FINAL_STATES


def test_the_open_states_are_every_state_but_the_final_ones():
    assert TargetState.open_states() == (
        TargetState.PENDING, TargetState.QUEUED, TargetState.DIALING, TargetState.RETRY_WAIT)
    assert set(TargetState.open_states()) | set(FINAL_STATES) == set(TargetState)


def test_each_state_knows_whether_it_is_open():
    assert [state for state in TargetState if not state.is_open] == list(FINAL_STATES)
