"""Dashboard snapshots cost a fixed number of queries whatever the campaign's size; cached."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.services.dashboard import campaign_snapshot, compute_campaign_snapshot

pytestmark = pytest.mark.django_db


def _queries_for(campaign) -> int:
    with CaptureQueriesContext(connection) as captured:
        compute_campaign_snapshot(campaign, timezone.now())
    return len(captured)


def test_campaign_snapshot_query_count_does_not_grow_with_targets(
    campaign, make_targets, make_attempt
):
    small = _queries_for(campaign)
    targets = make_targets("pending", 300)
    for target in targets[:60]:
        make_attempt(target, "busy", "USER_BUSY")
    assert small == 5  # states, outcomes, per minute, causes, abandon counts
    assert _queries_for(campaign) == small


def test_campaign_snapshot_is_served_from_the_cache_within_its_interval(
    campaign, make_targets, django_assert_num_queries
):
    cache.delete(f"dashboard:campaign:{campaign.pk}")
    make_targets("pending", 3)
    first = campaign_snapshot(campaign, timezone.now())
    make_targets("pending", 2, start=500)
    with django_assert_num_queries(0):
        second = campaign_snapshot(campaign, timezone.now())
    assert first["targets"]["total"] == second["targets"]["total"] == 3
    cache.delete(f"dashboard:campaign:{campaign.pk}")
    assert campaign_snapshot(campaign, timezone.now())["targets"]["total"] == 5


def test_system_json_costs_a_fixed_number_of_queries(client, supervisor, campaign, make_targets):
    client.force_login(supervisor)
    cache.delete("dashboard:system")
    make_targets("pending", 50)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dashboard/data/system.json")
    assert response.status_code == 200
    # Session and user lookups, then the system figures (agent and trunk problems included)
    # and the node list: never per row.
    assert len(captured) <= 12
    cache.delete("dashboard:system")


def test_a_stale_snapshot_is_recomputed_by_one_process_while_others_get_the_old_one(
    campaign, make_targets, django_assert_num_queries
):
    key = f"dashboard:campaign:{campaign.pk}"
    cache.delete(key)
    make_targets("pending", 3)
    campaign_snapshot(campaign, timezone.now())
    entry = cache.get(key)
    cache.set(key, {**entry, "fresh_until": 0}, 60)  # now stale
    make_targets("pending", 2, start=500)
    # Another process holds the refresh lock: this poll gets the stale figures at no cost.
    cache.add(f"{key}:refresh", 1, 30)
    with django_assert_num_queries(0):
        assert campaign_snapshot(campaign, timezone.now())["targets"]["total"] == 3
    # The lock is free again: the next poll recomputes.
    cache.delete(f"{key}:refresh")
    assert campaign_snapshot(campaign, timezone.now())["targets"]["total"] == 5
    assert cache.get(f"{key}:refresh") is None
    cache.delete(key)
