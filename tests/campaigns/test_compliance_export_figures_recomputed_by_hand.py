"""The compliance export (CSV) and page: answered, abandoned, both formulas, the AMD estimate and
the abandon message's proof for a period, each figure recomputed here by hand from the attempts;
bad periods get a 400 naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest

from campaigns.models import CallAttempt, Outcome
from tests.factories import make_attempt, make_campaign, make_target

pytestmark = pytest.mark.django_db

DAY1 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # the campaign's zone is UTC
KINDS = ["in_time", "late", "abandoned_heard", "abandoned_hung_up", "machine", "busy",
         "waiting"]


def attempt(campaign, kind, at, rng):
    """One attempt of a kind, placed at `at`."""
    target = make_target(campaign, number=f"+1415{rng.randrange(10**7):07d}")
    answered = at + dt.timedelta(seconds=18)
    fields = {"answered_at": answered, "outcome": Outcome.ANSWERED,
              "ended_at": answered + dt.timedelta(seconds=60)}
    if kind == "in_time":
        fields.update(bridged_at=answered + dt.timedelta(seconds=1), answer_to_agent_ms=1000)
    elif kind == "late":
        fields.update(bridged_at=answered + dt.timedelta(seconds=4), answer_to_agent_ms=4000)
    elif kind == "abandoned_heard":
        fields.update(outcome=Outcome.ABANDONED, abandon_message_at=answered
                      + dt.timedelta(seconds=5))
    elif kind == "abandoned_hung_up":
        fields.update(outcome=Outcome.ABANDONED)
    elif kind == "machine":
        fields.update(outcome="machine")
    elif kind == "busy":
        fields = {"outcome": Outcome.BUSY, "ended_at": at + dt.timedelta(seconds=3)}
    else:  # a person answered just now, no agent yet: not (yet) an abandon
        fields = {"answered_at": answered, "outcome": Outcome.PENDING}
    row = make_attempt(target, **fields)
    CallAttempt.objects.filter(id=row.id).update(created_at=at)


def by_hand(rows, fp_pct):
    """The figures from the definitions, on plain Python rows."""
    live = [r for r in rows if r.answered_at is not None and r.outcome != "machine"]
    abandoned = [r for r in live if (r.bridged_at is None and r.outcome != "")
                 or (r.answer_to_agent_ms or 0) > 2000]
    machines = sum(1 for r in rows if r.outcome == "machine")
    fp = machines * fp_pct / 100
    return {
        "attempts": len(rows), "live_answered": len(live), "abandoned": len(abandoned),
        "connected_within_2s": len(live) - len(abandoned),
        "abandon_message_played": sum(1 for r in abandoned if r.abandon_message_at),
        "machines": machines, "amd_false_positive_estimate": round(fp, 2),
        "abandon_rate_us": len(abandoned) / len(live) if live else None,
        "abandon_rate_uk": (len(abandoned) + fp) / (len(live) + fp) if live else None,
    }


def parse(body):
    out = []
    for row in csv.DictReader(io.StringIO(body)):
        figures = {name: int(row[name]) for name in (
            "attempts", "live_answered", "abandoned", "connected_within_2s",
            "abandon_message_played", "machines")}
        figures["amd_false_positive_estimate"] = float(row["amd_false_positive_estimate"])
        for name in ("abandon_rate_us", "abandon_rate_uk"):
            figures[name] = float(row[name]) if row[name] else None
        out.append((row["period"], row["start"], figures))
    return out


def test_the_compliance_export_matches_figures_recomputed_by_hand(client, supervisor, trunk,
                                                                  group):
    campaign = make_campaign(trunk, group, abandon_formula="uk_24h",
                             amd_false_positive_pct=Decimal("12.5"), record_retention_days=1827)
    other = make_campaign(trunk, group)
    rng = random.Random(19)
    for day in range(3):  # day 3 is outside the period asked for
        for _ in range(40):
            at = DAY1 + dt.timedelta(days=day, minutes=rng.randrange(600))
            attempt(campaign, rng.choice(KINDS), at, rng)
    attempt(other, "abandoned_hung_up", DAY1, rng)  # another campaign's: never counted
    client.force_login(supervisor)

    response = client.get(f"/dashboard/campaigns/{campaign.pk}/compliance/",
                          {"start": "2026-11-02", "end": "2026-11-03", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="compliance-{campaign.pk}-2026-11-02-2026-11-03.csv"')
    rows = parse(response.content.decode())
    attempts = list(CallAttempt.objects.filter(campaign=campaign))
    day = dt.timedelta(days=1)
    periods = [("whole", DAY1.replace(hour=0), DAY1.replace(hour=0) + 2 * day),
               ("24h", DAY1.replace(hour=0), DAY1.replace(hour=0) + day),
               ("24h", DAY1.replace(hour=0) + day, DAY1.replace(hour=0) + 2 * day)]
    assert [(kind, start) for kind, start, _ in rows] == [
        (kind, start.isoformat()) for kind, start, _ in periods]
    for (_, _, figures), (_, start, end) in zip(rows, periods, strict=True):
        expected = by_hand([a for a in attempts if start <= a.created_at < end], 12.5)
        for name in ("abandon_rate_us", "abandon_rate_uk"):
            assert figures[name] == pytest.approx(expected[name], abs=1e-6), name
            figures[name] = expected[name] = None
        assert figures == expected
    assert rows[0][2]["abandoned"] > rows[0][2]["abandon_message_played"] > 0
    assert rows[0][2]["machines"] > 0


def test_the_compliance_page_shows_the_figures_and_the_retention(client, supervisor, campaign):
    rng = random.Random(1)
    now = dt.datetime.now(tz=dt.UTC)
    for kind in ("in_time", "abandoned_heard", "machine"):
        attempt(campaign, kind, now - dt.timedelta(hours=1), rng)
    client.force_login(supervisor)

    response = client.get(f"/dashboard/campaigns/{campaign.pk}/compliance/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<strong id="retention">1827 days</strong>' in page
    assert "<th>Abandoned (no agent within 2 s)</th><td>1</td>" in page
    assert "<th>Abandon message played to its end</th><td>1 of 1</td>" in page


@pytest.mark.parametrize(("query", "errors"), [
    ({"start": "2026-13-01", "format": "csv"}, {"start": "a date as YYYY-MM-DD"}),
    ({"start": "2026-11-05", "end": "2026-11-01", "format": "csv"},
     {"end": "the end is before the start"}),
    ({"start": "2020-01-01", "end": "2026-01-01", "format": "csv"},
     {"end": "a period of at most 400 days"}),
    ({"start": "2026-11-01\n'|&", "format": "csv"}, {"start": "a date as YYYY-MM-DD"}),
    ({"format": "xlsx"}, {"format": "csv, or nothing for the page"}),
])
def test_a_bad_period_is_a_400_naming_the_field(client, supervisor, campaign, query, errors):
    client.force_login(supervisor)

    response = client.get(f"/dashboard/campaigns/{campaign.pk}/compliance/", query)

    assert (response.status_code, response.json()) == (400, errors)


def test_the_compliance_page_needs_a_login(client, campaign):
    response = client.get(f"/dashboard/campaigns/{campaign.pk}/compliance/")
    assert response.status_code == 302
