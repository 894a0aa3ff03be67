"""History charts: attempts, answers, contacts, abandons and talk time per hour or per day.

One GROUP BY per chart over a bounded period, bucketed in the campaign's zone (or the server's
for the whole system) by PostgreSQL's date_trunc: campaign charts read attempt_campaign_time_idx,
system charts attempt_created_idx. Buckets without calls are filled with zeros so an empty
period reads as quiet, not as missing. Dispositions are counted over the same period.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncHour

from campaigns.models import CallAttempt, Campaign, Outcome
from campaigns.services.floor.snapshot import ABANDON_OUTCOMES

SPANS = {"hour": (dt.timedelta(hours=1), 24), "day": (dt.timedelta(days=1), 14)}
SERIES = ("attempts", "answers", "contacts", "abandons", "talk_seconds")


def _floor(moment: dt.datetime, step: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    local = moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    if step == "day":
        local = local.replace(hour=0)
    return local


def _buckets(now: dt.datetime, step: str, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """The bucket starts, oldest first, as wall-clock times in `zone` (DST-correct)."""
    _, count = SPANS[step]
    last = _floor(now, step, zone)
    out = [last]
    while len(out) < count:
        probe = out[-1].replace(tzinfo=None)
        probe -= dt.timedelta(days=1) if step == "day" else dt.timedelta(hours=1)
        out.append(_floor(probe.replace(tzinfo=zone), step, zone))
    return sorted(set(out))


def history(now: dt.datetime, step: str, campaign: Campaign | None = None) -> dict[str, Any]:
    """Per-bucket figures for the last 24 hours or 14 days, with disposition counts."""
    if step not in SPANS:
        raise ValueError("step must be hour or day")
    zone = campaign.zone if campaign else zoneinfo.ZoneInfo(settings.TIME_ZONE)
    buckets = _buckets(now, step, zone)
    since = buckets[0].astimezone(dt.UTC)
    rows = CallAttempt.objects.filter(created_at__gte=since)
    if campaign is not None:
        rows = rows.filter(campaign_id=campaign.pk)
    trunc = TruncDay if step == "day" else TruncHour
    grouped = (
        rows.annotate(bucket=trunc("created_at", tzinfo=zone)).values("bucket")
        .annotate(
            attempts=Count("id"),
            answers=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
            contacts=Count("target_id", filter=Q(outcome=Outcome.ANSWERED), distinct=True),
            abandons=Count("id", filter=Q(outcome__in=ABANDON_OUTCOMES)),
            talk_seconds=Sum("billsec", filter=Q(outcome=Outcome.ANSWERED)),
        ).order_by()
    )
    by_bucket = {row["bucket"].astimezone(zone).replace(tzinfo=None): row for row in grouped}
    points = []
    for start in buckets:
        row = by_bucket.get(start.replace(tzinfo=None), {})
        points.append({"start": start.isoformat(),
                       **{name: row.get(name) or 0 for name in SERIES}})
    dispositions = [
        {"code": row["disposition__code"], "label": row["disposition__label"], "calls": row["n"]}
        for row in rows.filter(disposition__isnull=False)
        .values("disposition__code", "disposition__label").annotate(n=Count("id"))
        .order_by("-n", "disposition__code")
    ]
    return {"step": step, "timezone": str(zone), "points": points,
            "abandons_tracked": bool(ABANDON_OUTCOMES), "dispositions": dispositions}
