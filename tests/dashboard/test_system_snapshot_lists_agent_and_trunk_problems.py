"""The system dashboard lists the agents the dialer charged or marked misconfigured and the
trunks a node refused, so a supervisor sees them without opening the admin."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Agent, Trunk
from campaigns.services.reporting.dashboard import problems
from tests.factories import make_agent, make_group, make_trunk

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_system_snapshot_lists_agent_and_trunk_problems(db):
    group = make_group()
    busy = make_agent(group, name="Ann")
    broken = make_agent(group, name="Bob")
    make_agent(group, name="Cy")  # nothing wrong: not listed
    expired = make_agent(group, name="Dee")
    Agent.objects.filter(id=busy.id).update(penalty_reason="busy",
                                            penalty_until=NOW + dt.timedelta(seconds=40))
    Agent.objects.filter(id=broken.id).update(misconfigured="SUBSCRIBER_ABSENT on fs1")
    Agent.objects.filter(id=expired.id).update(penalty_reason="no_answer", no_answer_count=1,
                                               penalty_until=NOW - dt.timedelta(seconds=1))
    trunk = make_trunk(name="carrier-x", gateway="carrierx")
    Trunk.objects.filter(id=trunk.id).update(
        misconfigured_on={"fs2": {"cause": "INVALID_GATEWAY", "at": "2026-12-01T11:59:00"}})
    make_trunk(name="carrier-ok")

    found = problems(NOW)

    assert [(a["name"], a["penalty_reason"], a["penalty_until"], a["no_answer_count"],
             a["misconfigured"]) for a in found["agents"]] == [
        ("Ann", "busy", "2026-12-01T12:00:40+00:00", 0, ""),
        ("Bob", "", None, 0, "SUBSCRIBER_ABSENT on fs1"),
        ("Dee", "no_answer", None, 1, ""),  # penalty over, the missed call still shows
    ]
    assert found["trunks"] == [{
        "id": trunk.id, "name": "carrier-x", "gateway": "carrierx",
        "nodes": [{"node": "fs2", "cause": "INVALID_GATEWAY", "at": "2026-12-01T11:59:00"}]}]
