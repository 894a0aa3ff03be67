"""PostgreSQL answers the dashboard's GROUP BYs from the model indexes, not by reading every row."""

import pytest
from django.db import connection
from django.db.models import Count

from campaigns.models import CallAttempt, Target

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def big_table(campaign):
    """100,000 targets over 20 campaigns, written by PostgreSQL itself in one statement."""
    assert connection.vendor == "postgresql"
    others = [campaign.pk]
    for n in range(19):
        campaign.pk = None
        campaign.name = f"bulk {n}"
        campaign.save()
        others.append(campaign.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_target (campaign_id, number, extension, external_ref, custom_data,
                timezone, state, attempts, last_outcome, last_hangup_cause, created_at, updated_at)
            SELECT (%s::bigint[])[1 + g %% 20], '+1' || (2000000000 + g)::text, '', '', '{}', '',
                (ARRAY['pending','completed','failed','retry_wait'])[1 + g %% 4], 0, '', '',
                now(), now()
            FROM generate_series(1, 100000) AS g
            """,
            [others],
        )
        cursor.execute("ANALYZE campaigns_target")
        cursor.execute("ANALYZE campaigns_callattempt")
    return others


def test_targets_by_state_reads_only_the_campaigns_rows_through_an_index(big_table):
    queryset = (
        Target.objects.filter(campaign_id=big_table[3]).values("state").annotate(n=Count("id")).order_by()
    )
    plan = _plan(queryset)
    # Inside a test transaction there is no VACUUM, so PostgreSQL picks the campaign index with
    # a bitmap heap scan; in production the visibility map makes target_due_idx index-only.
    # Either way it never reads the other campaigns' rows.
    assert "Seq Scan" not in plan, plan
    assert "Index Cond: (campaign_id = " in plan, plan


def test_outcomes_read_the_campaign_outcome_index(big_table):
    queryset = (
        CallAttempt.objects.filter(campaign_id=big_table[3]).values("outcome").annotate(n=Count("id")).order_by()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the attempts table is empty here
    plan = _plan(queryset)
    assert "attempt_campaign_outcome_idx" in plan, plan



