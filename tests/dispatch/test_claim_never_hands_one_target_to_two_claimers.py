"""Several processes claiming one campaign at once never get the same target (a pair, STYLE 15).

The guarded run uses the real claim (FOR UPDATE SKIP LOCKED); the control runs the very same
statement with the lock clause switched off (dispatch_claim.CLAIM_GUARD, test only) and shows
that the race it closes is real: then targets are handed out twice.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys

import pytest

from campaigns.models import Target, TargetState
from switchboard import children
from tests.dispatch.world import add_targets
from tests.factories import make_campaign
from tests.processes import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CLAIMERS = 4
TARGETS = 300


def race(process_env, guard: bool) -> tuple[list[int], list[int]]:
    campaign = make_campaign(status="running")
    ids = add_targets(campaign, TARGETS)
    procs = [
        children.popen(
            [sys.executable, "-m", "tests.dispatch.claimer", str(campaign.id), "10", "0.02",
             "1" if guard else "0"],
            cwd=ROOT, env=process_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        for _ in range(CLAIMERS)
    ]
    claimed: list[int] = []
    try:
        for proc in procs:  # all set up and connected ...
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        for proc in procs:  # ... then released together
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            claimed += json.loads(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return ids, claimed


def test_claimers_racing_with_skip_locked_hand_out_every_target_exactly_once(process_env):
    ids, claimed = race(process_env, guard=True)

    duplicates = [i for i, n in collections.Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert sorted(claimed) == ids
    assert Target.objects.filter(state=TargetState.QUEUED).count() == TARGETS


def test_control_without_the_lock_hands_targets_to_two_claimers(process_env):
    ids, claimed = race(process_env, guard=False)

    duplicates = [i for i, n in collections.Counter(claimed).items() if n > 1]
    assert duplicates != []
    assert set(claimed) == set(ids)
