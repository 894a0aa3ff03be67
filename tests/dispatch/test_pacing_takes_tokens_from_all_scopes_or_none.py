"""take_tokens takes from trunk, node and campaign at once, or from none of them."""

from __future__ import annotations

import pytest

from telephony.pacing import Pacer, Scope, campaign_scope, node_scope, trunk_scope

pytestmark = pytest.mark.integration

T0 = 1_800_000_000.0


@pytest.fixture
def pacer(redis_client, key_prefix) -> Pacer:
    return Pacer(redis_client, key_prefix)


def test_a_call_takes_one_token_from_every_scope(pacer):
    scopes = [trunk_scope(1, 2), node_scope("fs1", 3), campaign_scope(7, 2)]

    assert pacer.take_tokens(scopes, 1, T0) == 1
    # Each scope now has its next token half a second (or less) away.
    assert pacer.take_tokens([trunk_scope(1, 2)], 1, T0) == 0
    assert pacer.take_tokens([node_scope("fs1", 3)], 1, T0) == 0
    assert pacer.take_tokens([campaign_scope(7, 2)], 1, T0) == 0


def test_an_empty_scope_refuses_the_call_and_the_others_keep_their_tokens(pacer):
    trunk, node, campaign = Scope("trunk:1", 10, 5), Scope("node:fs1", 10, 5), Scope("c:1", 10, 2)
    assert pacer.take_tokens([campaign], 2, T0) == 2  # the campaign is spent

    assert pacer.take_tokens([trunk, node, campaign], 1, T0) == 0

    # Nothing was taken from trunk and node: their whole burst is still there.
    assert pacer.take_tokens([trunk, node], 5, T0) == 5
    assert pacer.take_tokens([trunk], 1, T0) == 0


def test_a_batch_larger_than_any_burst_is_refused_whole(pacer):
    scopes = [Scope("trunk:1", 100, 10), Scope("node:fs1", 100, 4)]

    assert pacer.take_tokens(scopes, 5, T0) == 0
    assert pacer.take_tokens(scopes, 4, T0) == 4


def test_tuples_are_accepted_as_scopes(pacer):
    assert pacer.take_tokens([("trunk:9", 5.0, 1), ("node:fs9", 5.0, 1)], 1, T0) == 1
    assert pacer.take_tokens([("trunk:9", 5.0, 1)], 1, T0) == 0


@pytest.mark.parametrize(("scope", "error"), [
    (("", 5, 1), "invalid scope key ''"),
    (("trunk 1", 5, 1), "invalid scope key 'trunk 1'"),
    (("trunk:1", 0, 1), "scope trunk:1 needs a positive rate"),
    (("trunk:1", 5, 0), "scope trunk:1 needs a burst of at least 1"),
])
def test_invalid_scopes_are_rejected(pacer, scope, error):
    with pytest.raises(ValueError) as exc:
        pacer.take_tokens([scope], 1, T0)
    assert str(exc.value) == error
