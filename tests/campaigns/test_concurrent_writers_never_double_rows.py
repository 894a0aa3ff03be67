"""Real concurrency on PostgreSQL: two imports of one file, two pauses of one campaign.

Threads each hold their own database connection, so the races here are real transactions
racing on real rows; the invariants are what DESIGN promises: nothing doubled, nothing lost.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from campaigns.errors import IllegalTransition
from campaigns.imports import import_targets
from campaigns.models import Campaign, CampaignEvent, CampaignStatus, Target
from campaigns.services import lifecycle
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def race(worker, count: int = 2) -> list:
    """Run `worker(i)` in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = worker(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_simultaneous_imports_of_one_file_store_each_row_once():
    campaign = make_campaign()
    rows = "\n".join(f"(212) 555-{i:04d},{i % 3}" for i in range(2000))
    data = f"number,extension\n{rows}\n".encode()

    reports = race(lambda i: import_targets(Campaign.objects.get(pk=campaign.pk), data, fmt="csv"))

    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert sum(r.created for r in reports) == 2000
    # Every line is created by exactly one import and reported as a duplicate by the other.
    assert sorted(r.duplicate_count for r in reports) == sorted(2000 - r.created for r in reports)
    assert Target.objects.filter(campaign=campaign).count() == 2000


def test_two_simultaneous_pauses_move_the_campaign_once():
    campaign = make_campaign(status=CampaignStatus.RUNNING)

    results = race(
        lambda i: lifecycle.pause(Campaign.objects.get(pk=campaign.pk), reason=f"pauser {i}")
    )

    won = [r for r in results if isinstance(r, Campaign)]
    lost = [r for r in results if isinstance(r, IllegalTransition)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code in {"conflict", "illegal_transition"}
    assert CampaignEvent.objects.filter(campaign=campaign).count() == 1
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PAUSED


def test_control_without_the_compare_and_set_both_pauses_apply(monkeypatch):
    """The control: with the guard off, both racers "win" and the audit trail doubles."""
    monkeypatch.setattr(lifecycle, "_COMPARE_AND_SET", False)
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    read_both = threading.Barrier(2)
    real_refresh = Campaign.refresh_from_db

    def refresh_then_wait(self, *args, **kwargs):
        real_refresh(self, *args, **kwargs)
        read_both.wait(timeout=10)  # both have read "running" before either writes

    monkeypatch.setattr(Campaign, "refresh_from_db", refresh_then_wait)
    results = race(lambda i: lifecycle.pause(Campaign.objects.get(pk=campaign.pk)))

    assert all(isinstance(r, Campaign) for r in results), results
    assert CampaignEvent.objects.filter(campaign=campaign).count() == 2
