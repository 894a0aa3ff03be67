"""Compliance evidence per campaign: answered, abandoned, the abandon rate under both formulas,
the AMD false-positive estimate, the abandon message's proof, and the UK 72-hour redial rule.

Definitions (docs/predictive-pacing.md; the figures a regulator asks for):
- live answered: attempts a person answered, machines excluded: with the agent at the hello
  (`agent_at_hello`, the mode the pacer paces) a heard person (PERSON_AT, `hello_at`), since the
  attendant's answer is nobody's; in the other modes the callee's answer;
- abandoned: live answered with no agent within 2 s (never connected and finished, or connected
  later than 2 s), as in `stats.abandon_figures`;
- machines: attempts classified as answering machines (heard `machine` at the hello, or the
  outcome `machine`); the AMD false-positive estimate is machines x the campaign's
  stated false-positive share; the UK formula counts it as abandoned persons, the US one not;
- message played: abandoned attempts whose plan reached its own mark after the abandon message
  (`abandon_message_at`).

Every figure is one aggregate query on the (campaign, created_at) index over the period.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Count, Q

from campaigns.models import AbandonFormula, CallAttempt, Campaign, CampaignMode, Outcome
from telephony import predictive

ABANDON_AFTER_MS = 2000
MACHINE = "machine"  # the outcome issue 18 gives a call answered by a machine
# When a person answered: the regulators' clock starts there. With the late-binding connect mode
# (the only one the pacer paces) the person's hello after the attendant, `hello_at`, set only
# when a person was heard: the attendant's answer (`answered_at`) is nobody's.
PERSON_AT = "hello_at"


def person_answered(mode: str = "") -> Q:
    """Attempts a person answered: with the agent at the hello, a heard person (as
    `stats.abandon_figures`); otherwise the callee's answer, machines excluded."""
    if mode == CampaignMode.AGENT_AT_HELLO:
        return Q(**{f"{PERSON_AT}__isnull": False})
    return Q(answered_at__isnull=False) & ~Q(outcome=MACHINE)


def classified_machine() -> Q:
    """Attempts classified as answering machines (heard as one at the hello, or the outcome)."""
    return Q(heard=MACHINE) | Q(outcome=MACHINE)
UK_NO_REDIAL = dt.timedelta(hours=72)


@dataclass(frozen=True)
class Evidence:
    """A campaign's compliance figures for one period [start, end)."""

    campaign: int
    start: dt.datetime
    end: dt.datetime
    attempts: int
    live_answered: int
    connected_within_2s: int
    abandoned: int
    abandon_message_played: int
    machines: int
    amd_false_positive_pct: Decimal
    amd_false_positive_estimate: float
    abandon_rate_us: float | None
    abandon_rate_uk: float | None
    formula: str
    ceiling_pct: Decimal
    record_retention_days: int


def _abandoned() -> Q:
    return (Q(bridged_at__isnull=True) & ~Q(outcome=Outcome.PENDING)) | Q(
        answer_to_agent_ms__gt=ABANDON_AFTER_MS)


def counts(campaign_id: int, start: dt.datetime, end: dt.datetime, mode: str = ""
           ) -> dict[str, int]:
    """Attempts, live answered, abandoned, message played, machines placed in [start, end), for
    a campaign in connect `mode`."""
    rows = CallAttempt.objects.filter(campaign_id=campaign_id, created_at__gte=start,
                                      created_at__lt=end)
    person = person_answered(mode)
    figures = rows.aggregate(
        attempts=Count("id"),
        live=Count("id", filter=person),
        abandoned=Count("id", filter=person & _abandoned()),
        played=Count("id", filter=person & _abandoned() & Q(abandon_message_at__isnull=False)),
        machines=Count("id", filter=classified_machine()),
    )
    return {name: value or 0 for name, value in figures.items()}


def evidence(campaign: Campaign, start: dt.datetime, end: dt.datetime) -> Evidence:
    """The campaign's figures for [start, end), under both formulas."""
    c = counts(campaign.pk, start, end, campaign.mode)
    fp = c["machines"] * float(campaign.amd_false_positive_pct) / 100
    return Evidence(
        campaign=campaign.pk, start=start, end=end, attempts=c["attempts"],
        live_answered=c["live"], connected_within_2s=c["live"] - c["abandoned"],
        abandoned=c["abandoned"], abandon_message_played=c["played"], machines=c["machines"],
        amd_false_positive_pct=campaign.amd_false_positive_pct,
        amd_false_positive_estimate=round(fp, 2),
        abandon_rate_us=predictive.abandon_rate(predictive.AbandonFormula.US_30D, c["live"],
                                                c["abandoned"]),
        abandon_rate_uk=predictive.abandon_rate(predictive.AbandonFormula.UK_24H, c["live"],
                                                c["abandoned"], fp),
        formula=campaign.abandon_formula, ceiling_pct=campaign.abandon_ceiling_pct,
        record_retention_days=campaign.record_retention_days,
    )


def window(campaign: Campaign, now: dt.datetime) -> predictive.Window:
    """The campaign's regulatory window ending now, counted under its own formula (the pacer's)."""
    formula = predictive.AbandonFormula(campaign.abandon_formula)
    start = now - dt.timedelta(seconds=predictive.window_seconds(formula))
    c = counts(campaign.pk, start, now + dt.timedelta(seconds=1), campaign.mode)
    if formula is predictive.AbandonFormula.UK_24H:
        fp = c["machines"] * float(campaign.amd_false_positive_pct) / 100
        return predictive.Window(int(c["live"] + fp), c["abandoned"] + fp)
    return predictive.Window(c["live"], float(c["abandoned"]))


def daily(campaign: Campaign, start: dt.datetime, end: dt.datetime) -> list[Evidence]:
    """One Evidence per 24 hours from `start` (the UK formula's periods), the last one partial."""
    periods, at = [], start
    while at < end:
        nxt = min(end, at + dt.timedelta(days=1))
        periods.append(evidence(campaign, at, nxt))
        at = nxt
    return periods


CSV_FIELDS = [name for name in Evidence.__dataclass_fields__]


def export_csv(campaign: Campaign, start: dt.datetime, end: dt.datetime) -> str:
    """The whole period, then each 24 hours of it, as CSV (one row per period)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["period", *CSV_FIELDS])
    writer.writeheader()
    rows = [("whole", evidence(campaign, start, end))]
    rows += [("24h", e) for e in daily(campaign, start, end)]
    for kind, row in rows:
        values = asdict(row)
        values["start"], values["end"] = row.start.isoformat(), row.end.isoformat()
        for name in ("abandon_rate_us", "abandon_rate_uk"):
            values[name] = "" if values[name] is None else f"{values[name]:.6f}"
        writer.writerow({"period": kind, **values})
    return out.getvalue()


def uk_redial_blocked(campaign: Campaign, target_id: int, now: dt.datetime) -> bool:
    """UK mode: whether the target was abandoned within the last 72 hours (no redial until then)."""
    if campaign.abandon_formula != AbandonFormula.UK_24H:
        return False
    return CallAttempt.objects.filter(
        person_answered(campaign.mode) & _abandoned(),
        target_id=target_id, created_at__gte=now - UK_NO_REDIAL).exists()
