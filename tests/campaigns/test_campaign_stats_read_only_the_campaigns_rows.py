"""Every query campaign_stats runs has an index path to one campaign's rows: no table scan."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.services.reporting.stats import campaign_stats
from tests.factories import make_campaign


@pytest.fixture
def crowded(campaign, trunk, group):
    """100,000 targets over 10 campaigns, written by PostgreSQL in one statement."""
    ids = [campaign.pk] + [make_campaign(trunk, group).pk for _ in range(9)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_target (campaign_id, number, extension, external_ref,
                custom_data, timezone, state, attempts, last_outcome, last_hangup_cause,
                created_at, updated_at)
            SELECT (%s::bigint[])[1 + g %% 10], '+1' || (2000000000 + g)::text, '', '', '{}',
                '', (ARRAY['pending','completed','failed','retry_wait'])[1 + g %% 4], 0, '', '',
                now(), now()
            FROM generate_series(1, 100000) AS g
            """,
            [ids],
        )
        cursor.execute("ANALYZE campaigns_target")
    return campaign


def test_no_stats_query_scans_a_whole_table(crowded):
    with CaptureQueriesContext(connection) as captured:
        stats = campaign_stats(crowded)
    assert stats["targets"]["total"] == 10_000
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the attempts table is empty here
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            assert f"campaign_id = {crowded.pk}" in plan, plan
