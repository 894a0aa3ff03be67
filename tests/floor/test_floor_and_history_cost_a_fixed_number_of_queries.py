"""The floor and the history cost a fixed number of queries, on indexes, whatever the size."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CallAttempt, Campaign
from campaigns.services.floor.snapshot import compute_floor, local_midnight
from campaigns.services.reporting.history import history
from tests import factories
from tests.floor.conftest import forget_floor_cache, place_call

pytestmark = pytest.mark.django_db


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_the_floor_query_count_does_not_grow_with_agents_or_calls(floor):
    campaign = floor["campaign"]
    small = _count(lambda: compute_floor(timezone.now()))
    group = floor["group"]
    for n in range(40):
        agent = factories.make_agent(group, sip_user=f"2{n:03d}", sip_domain="demo.local")
        target = factories.make_target(campaign)
        attempt = factories.make_attempt(target, agent=agent, ended_at=timezone.now(),
                                         bridged_at=timezone.now(), billsec=5)
        place_call(campaign, agent, target, factories.make_attempt(target, agent=agent))
        assert attempt
    assert small == 2  # the agents, today's calls per agent
    forget_floor_cache(campaign)
    assert _count(lambda: compute_floor(timezone.now())) == small
    assert _count(lambda: compute_floor(timezone.now(), campaign)) == small
    # Today's figures are cached longer than presence: a poll within it is one query.
    assert _count(lambda: compute_floor(timezone.now(), campaign)) == 1
    data = compute_floor(timezone.now(), campaign)
    assert data["calls_total"] == 40 and len(data["agents"]) == 43


def test_history_costs_two_queries(db):
    campaign = factories.make_campaign()
    target = factories.make_target(campaign)
    for _ in range(5):
        factories.make_attempt(target, outcome="answered", ended_at=timezone.now())
    assert _count(lambda: history(timezone.now(), "hour", campaign)) == 2
    assert _count(lambda: history(timezone.now(), "day")) == 2


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_attempts(db):
    """60,000 attempts over 20 campaigns and 50 agents, written by PostgreSQL in one go."""
    campaign = factories.make_campaign()
    group = campaign.agent_group
    agents = [factories.make_agent(group).id for _ in range(50)]
    campaigns = [campaign.id] + [factories.make_campaign(agent_group=group).id for _ in range(19)]
    target = factories.make_target(campaign)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_callattempt (target_id, campaign_id, attempt_number, uuid, node,
                agent_id, counts_as_attempt, hangup_cause, outcome, billsec, disposition_notes,
                agent_failovers, created_at, ended_at)
            SELECT %s, (%s::bigint[])[1 + g %% 20], g, gen_random_uuid(), 'fs1',
                (%s::bigint[])[1 + g %% 50], true, 'NORMAL_CLEARING', 'answered', 10, '', 0,
                now() - make_interval(mins => g %% 50000), now() - make_interval(mins => g %% 50000)
            FROM generate_series(1, 60000) AS g
            """,
            [target.id, campaigns, agents],
        )
        cursor.execute("ANALYZE campaigns_callattempt")
    return Campaign.objects.get(id=campaigns[3])


def test_todays_calls_per_agent_read_the_agent_time_index(many_attempts):
    queryset = (CallAttempt.objects.filter(ended_at__gte=local_midnight(timezone.now()),
                                           agent__isnull=False)
                .values("agent_id").annotate(n=Count("id", filter=Q(bridged_at__isnull=False)),
                                             talk=Sum("billsec")).order_by())
    plan = _plan(queryset)
    assert "Seq Scan on campaigns_callattempt" not in plan, plan


def test_a_campaigns_history_reads_only_its_rows_through_an_index(many_attempts):
    since = timezone.now() - dt.timedelta(hours=24)
    plan = _plan(CallAttempt.objects.filter(campaign_id=many_attempts.id, created_at__gte=since)
                 .values("outcome").annotate(n=Count("id")).order_by())
    assert "Seq Scan" not in plan, plan
    assert "attempt_campaign_time_idx" in plan, plan
    system = _plan(CallAttempt.objects.filter(created_at__gte=since).values("outcome")
                   .annotate(n=Count("id")).order_by())
    assert "Seq Scan" not in system, system
