"""The API shows what the dialer charged an agent (penalty, missed calls, misconfigured) and
where a trunk was refused; those fields are the dialer's, except clearing `misconfigured`."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Agent


def test_agent_penalties_and_misconfiguration_are_visible_and_read_only(as_supervisor, agent):
    until = dt.datetime(2026, 12, 1, 12, 0, 45, tzinfo=dt.UTC)
    Agent.objects.filter(id=agent.id).update(
        penalty_reason="no_answer", penalty_until=until, no_answer_count=2,
        misconfigured="SUBSCRIBER_ABSENT on fs1 at 2026-12-01 12:00:00 UTC")

    row = as_supervisor.get(f"/api/agents/{agent.pk}/").json()
    assert {key: row[key] for key in (
        "reject_delay_seconds", "busy_delay_seconds", "no_answer_delay_seconds",
        "max_no_answer", "no_answer_count", "penalty_reason", "penalty_until",
        "misconfigured")} == {
        "reject_delay_seconds": 10, "busy_delay_seconds": 60, "no_answer_delay_seconds": 60,
        "max_no_answer": 3, "no_answer_count": 2, "penalty_reason": "no_answer",
        "penalty_until": "2026-12-01T12:00:45Z",
        "misconfigured": "SUBSCRIBER_ABSENT on fs1 at 2026-12-01 12:00:00 UTC"}

    response = as_supervisor.patch(f"/api/agents/{agent.pk}/", {
        "misconfigured": "", "no_answer_count": 0, "penalty_reason": "", "busy_delay_seconds": 30,
    }, format="json")
    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.misconfigured, agent.busy_delay_seconds) == ("", 30)
    assert (agent.no_answer_count, agent.penalty_reason) == (2, "no_answer")  # read-only


def test_trunk_shows_the_nodes_that_refused_it(as_supervisor, trunk):
    trunk.misconfigured_on = {"fs2": {"cause": "INVALID_GATEWAY", "at": "2026-12-01T12:00:00"}}
    trunk.save()
    row = as_supervisor.get(f"/api/trunks/{trunk.pk}/").json()
    assert row["misconfigured_on"] == {
        "fs2": {"cause": "INVALID_GATEWAY", "at": "2026-12-01T12:00:00"}}
