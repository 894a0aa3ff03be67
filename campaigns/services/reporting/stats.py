"""A campaign's figures: targets by state, attempts by outcome, answer rate, abandon rate,
answer-to-agent times, hangup causes.

Each figure is one aggregate query filtered on the campaign, answered from the indexes that
start with the campaign (`target_due_idx` for states, `attempt_campaign_outcome_idx` for
outcomes): the cost grows with the number of distinct states, outcomes and causes, and no row
is ever loaded into Python, so a campaign with a million targets costs a handful of scans.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, Least

from campaigns.models import CallAttempt, Campaign, Outcome, Target, TargetState

TOP_CAUSES = 10
# Regulators (US TSR 16 CFR 310.4(b)(4), UK Ofcom) count a call as abandoned when the person
# answered and no agent was connected within two seconds of the greeting.
ABANDON_AFTER_MS = 2000

# Outcomes that say something about the callee: the denominator of the answer rate, here and on
# the dashboard. Failures of our own side (node, trunk, no agent) and cancellations are not the
# callee's answer.
CALLEE_OUTCOMES = (
    Outcome.ANSWERED,
    Outcome.ABANDONED,
    Outcome.BUSY,
    Outcome.NO_ANSWER,
    Outcome.REJECTED,
    Outcome.INVALID_NUMBER,
    Outcome.FAILED,
)


def campaign_stats(campaign: Campaign) -> dict[str, Any]:
    """Figures for one campaign, as a JSON-serialisable dict."""
    states = {str(state): 0 for state in TargetState.values}
    states.update(
        {
            row["state"]: row["n"]
            for row in Target.objects.filter(campaign_id=campaign.pk)
            .values("state")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    outcomes = {str(outcome) or "in_progress": 0 for outcome in Outcome.values}
    outcomes.update(
        {
            (row["outcome"] or "in_progress"): row["n"]
            for row in CallAttempt.objects.filter(campaign_id=campaign.pk)
            .values("outcome")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    totals = CallAttempt.objects.filter(campaign_id=campaign.pk).aggregate(
        counted=Count("id", filter=Q(counts_as_attempt=True)),
        billsec=Sum("billsec"),
    )
    causes = (
        CallAttempt.objects.filter(campaign_id=campaign.pk)
        .exclude(hangup_cause="")
        .values("hangup_cause")
        .annotate(n=Count("id"))
        .order_by("-n", "hangup_cause")[:TOP_CAUSES]
    )
    finished = sum(outcomes[str(outcome)] for outcome in CALLEE_OUTCOMES)
    answered = outcomes[str(Outcome.ANSWERED)]
    abandon = abandon_figures(campaign.pk, campaign.mode)
    return {
        "campaign": campaign.pk,
        "status": campaign.status,
        "targets": {"total": sum(states.values()), "by_state": states},
        "attempts": {
            "total": sum(outcomes.values()),
            "counted": totals["counted"] or 0,
            "in_progress": outcomes["in_progress"],
            "by_outcome": outcomes,
        },
        "answered": answered,
        "answer_rate": round(answered / finished, 4) if finished else None,
        "billsec": totals["billsec"] or 0,
        **abandon,
        "hangup_causes": [{"cause": row["hangup_cause"], "calls": row["n"]} for row in causes],
    }


def abandon_figures(campaign_id: int, mode: str = "") -> dict[str, Any]:
    """Abandon rate (regulators' definition) and answer-to-agent percentiles for a campaign.

    Answered = the callee's leg was answered. Abandoned = answered and no agent connected within
    ABANDON_AFTER_MS (never connected, or connected later). Percentiles are read from the
    connected calls in order, by offset: two small queries, portable to SQLite.
    With the agent at the hello (`mode`), the attendant's answer is no person: only a heard
    person counts as answered (the clock starts at the hello; machines and nobody are no
    abandon), and the same query sums the agent time saved (`agent_seconds_saved`).
    """
    hello = mode == "agent_at_hello"
    person = Q(answered_at__isnull=False) & (Q(heard="person") if hello else Q())
    # What target_first would have cost: the agent bridged once the extension was out, listening
    # until the hello (a person) or the end (a machine, or an extension nobody answered).
    listened = ExpressionWrapper(
        Least(Coalesce("hello_at", "ended_at"), F("ended_at")) - F("dtmf_sent_at"),
        output_field=DurationField())
    counts = CallAttempt.objects.filter(campaign_id=campaign_id).aggregate(
        answered=Count("id", filter=person),
        abandoned=Count("id", filter=person & (Q(bridged_at__isnull=True)
                                               | Q(answer_to_agent_ms__gt=ABANDON_AFTER_MS))),
        connected=Count("id", filter=person & Q(answer_to_agent_ms__isnull=False)),
        saved=Sum(listened, filter=Q(dtmf_sent_at__isnull=False, ended_at__isnull=False)),
    )
    answered, abandoned = counts["answered"] or 0, counts["abandoned"] or 0
    waits = CallAttempt.objects.filter(person, campaign_id=campaign_id,
                                       answer_to_agent_ms__isnull=False).order_by(
                                           "answer_to_agent_ms")

    def percentile(fraction: float) -> int | None:
        n = counts["connected"] or 0
        if not n:
            return None
        index = min(n - 1, max(0, int(fraction * n + 0.999999) - 1))  # nearest rank
        return int(waits.values_list("answer_to_agent_ms", flat=True)[index])

    saved = counts["saved"] if hello else None
    return {
        "abandoned": abandoned,
        "abandon_rate": round(abandoned / answered, 4) if answered else None,
        "answer_to_agent_ms": {"p50": percentile(0.5), "p95": percentile(0.95)},
        "agent_seconds_saved": max(0, round(saved.total_seconds())) if saved else 0,
    }
