"""Which nodes post no CDRs? FreeSWITCH's own records are the second source of outcomes.

Without them a lost event (a listener or consumer outage, a Redis restart) leaves an answered
call `unknown`: nothing proves the person answered, and a campaign that dials unknown outcomes
again calls them again (issue 16 item 12). So the system dashboard and /healthz warn about a
node that answered calls lately and posted no CDR for any of them, or about every node while
the CDR endpoint has no password (it refuses every post then).

One grouped query over the last WINDOW_MINUTES of answered attempts (the `ended_at` index), per
node: how many, and how many have at least one CDR.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from campaigns.models import CallAttempt, CallDetailRecord

WINDOW_MINUTES = 15
# Fewer answered calls than this say nothing: a CDR may be on its way (posts retry).
MIN_ANSWERED = 3
RISK = ("an answered call whose events are lost (a listener or consumer outage) cannot be "
        "proven answered: its outcome is unknown, and a campaign that dials unknown outcomes "
        "again may call that person again")
FIX = "configure mod_json_cdr (or mod_xml_cdr) on the node to post to /cdr/json/ (docs)"


def nodes_without_cdrs(now: dt.datetime) -> list[dict[str, Any]]:
    """Nodes that answered calls in the window and posted no CDR for them, with the risk."""
    since = now - dt.timedelta(minutes=WINDOW_MINUTES)
    has_cdr = CallDetailRecord.objects.filter(attempt_id=OuterRef("id"))
    rows = (CallAttempt.objects.filter(ended_at__gte=since, answered_at__isnull=False)
            .exclude(node="")
            .annotate(has_cdr=Exists(has_cdr))
            .values("node")
            .annotate(answered=Count("id"), with_cdr=Count("id", filter=Q(has_cdr=True)))
            .order_by("node"))
    endpoint_off = not settings.CDR_PASSWORD
    found = []
    for row in rows:
        if row["with_cdr"] or row["answered"] < MIN_ANSWERED:
            continue
        reason = ("the CDR endpoint has no password (CDR_PASSWORD): it refuses every post"
                  if endpoint_off else
                  f"no CDR for its {row['answered']} answered calls in the last "
                  f"{WINDOW_MINUTES} minutes")
        found.append({"node": row["node"], "answered": row["answered"], "reason": reason,
                      "risk": RISK, "fix": FIX})
    return found
