"""Live calls are sets of call UUIDs per scope: repeats and stray removals never make them drift."""

from __future__ import annotations

import uuid

import pytest

from telephony.pacing import Pacer

pytestmark = pytest.mark.integration

SCOPES = ["trunk:1", "node:fs1", "campaign:7"]


@pytest.fixture
def pacer(redis_client, key_prefix) -> Pacer:
    return Pacer(redis_client, key_prefix)


def test_a_call_added_twice_counts_once_in_every_scope(pacer):
    call = str(uuid.uuid4())
    pacer.add_call(SCOPES, call)
    pacer.add_call(SCOPES, call)  # a redelivered event

    assert pacer.counts(SCOPES) == {"trunk:1": 1, "node:fs1": 1, "campaign:7": 1}
    assert pacer.members("node:fs1") == {call}


def test_removing_a_call_twice_or_one_never_added_leaves_the_others(pacer):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    pacer.add_call(SCOPES, first)
    pacer.add_call(["trunk:1", "node:fs2", "campaign:8"], second)

    pacer.remove_call(SCOPES, first)
    pacer.remove_call(SCOPES, first)
    pacer.remove_call(SCOPES, str(uuid.uuid4()))

    assert pacer.counts(SCOPES) == {"trunk:1": 1, "node:fs1": 0, "campaign:7": 0}
    assert pacer.count("node:fs2") == 1
    assert pacer.members("trunk:1") == {second}
