"""The tick's over-dial seam: how many calls a predictive or fixed-ratio campaign places now.

`over_dial(campaign, now, epoch, usable)` reads what the pacer needs (the group's agents from
presence, the campaign's recent attempts, its regulatory window), calls the pure pacer
(`telephony.predictive.decide`), publishes the decision for the floor's dial-level card, and
returns it. The tick uses `decision.calls` in place of the routable-agent count, so the campaign
places more calls than free agents. It applies only to campaigns whose connect mode reserves no
agent before a person answers (`agent_at_hello`): others stay progressive.

Costs per tick and campaign: one presence read of the group's agents, three queries bounded by
MEASURE_ATTEMPTS / MEASURE_TALKS and the calls in flight, and the window's one aggregate.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from campaigns.models import Agent, CallAttempt, Campaign, CampaignMode, DialMode, Outcome
from campaigns.services.call_path.stores import presence, redis_client
from campaigns.services.reporting import compliance
from telephony import predictive

MEASURE_ATTEMPTS = 600  # the most recent resolved attempts the rates come from
MEASURE_TALKS = 300  # the most recent talks
IN_FLIGHT_HORIZON = dt.timedelta(minutes=10)  # a pending attempt older than this is a reaper's
CARD_TTL_SECONDS = 30
SETTLE = dt.timedelta(seconds=60)  # every call has resolved this long after it was dialled


def paced(campaign: Campaign) -> bool:
    """Whether the tick asks the pacer (predictive or ratio, with late binding)."""
    return (campaign.dial_mode != DialMode.PROGRESSIVE
            and campaign.mode == CampaignMode.AGENT_AT_HELLO)


def settings_for(campaign: Campaign) -> predictive.PacerSettings:
    return predictive.PacerSettings(
        mode=predictive.DialMode(campaign.dial_mode),
        ceiling=float(campaign.abandon_ceiling_pct / Decimal(100)),
        formula=predictive.AbandonFormula(campaign.abandon_formula),
        ratio=float(campaign.dial_ratio),
    )


def agents_outlook(campaign: Campaign, epoch: float, usable: set[str]) -> list[predictive.Agent]:
    """The group's available agents on usable nodes, with when each is expected free."""
    keys = [f"{u}@{d}" for u, d in Agent.objects.filter(
        group_id=campaign.agent_group_id, enabled=True).values_list("sip_user", "sip_domain")]
    out = []
    for view in presence().snapshot(keys, epoch).values():
        if view.intent != "available" or not view.enabled or not any(
                r.trusted and not r.unreachable and r.node in usable for r in view.registrations):
            continue
        if view.activity == "idle":
            out.append(predictive.Agent(free_at=epoch))
        elif view.activity == "wrapup":
            out.append(predictive.Agent(free_at=view.activity_until or epoch))
        else:  # reserved, ringing, on a call: free after the talk and the wrap-up
            out.append(predictive.Agent(talking_since=view.activity_at or epoch))
    return out


def measured(campaign: Campaign, now: dt.datetime) -> predictive.Measured:
    """Rates and times from the campaign's most recent attempts dialled SETTLE_SECONDS ago.

    Counted by when they were dialled, not by when they ended: a burst of fresh calls shows
    its fast failures first and hides its persons, which would read as a lower live rate and
    make the pacer dial more still (the simulation found that feedback loop).
    """
    rows = list(CallAttempt.objects.filter(campaign_id=campaign.pk, ended_at__isnull=False,
                                           counts_as_attempt=True,
                                           created_at__lte=now - SETTLE)
                .order_by("-id").values_list("created_at", compliance.PERSON_AT, "ended_at",
                                             "outcome", "bridged_at", "answer_to_agent_ms")
                [:MEASURE_ATTEMPTS])
    persons, failures, abandoned = [], [], 0
    for created, answered, ended, outcome, bridged, wait_ms in rows:
        if answered is not None and outcome != compliance.MACHINE:
            persons.append((answered - created).total_seconds())
            abandoned += bridged is None or (wait_ms or 0) > compliance.ABANDON_AFTER_MS
        else:
            failures.append((ended - created).total_seconds())
    talks = [(end - start).total_seconds() for start, end in CallAttempt.objects.filter(
        campaign_id=campaign.pk, bridged_at__isnull=False, ended_at__isnull=False)
        .order_by("-id").values_list("bridged_at", "ended_at")[:MEASURE_TALKS]]
    wraps = list(Agent.objects.filter(group_id=campaign.agent_group_id, enabled=True)
                 .values_list("wrapup_seconds", flat=True))
    return predictive.Measured(
        resolved=len(rows), persons=len(persons), person_delays=sorted(persons),
        failure_delays=sorted(failures), talk=sorted(t for t in talks if t >= 0),
        wrap=sum(wraps) / len(wraps) if wraps else 0.0,
        recent_persons=len(persons), recent_abandoned=abandoned,
    )


def in_flight(campaign: Campaign, now: dt.datetime, queued: int, dialing: int = 0
              ) -> tuple[list[float], int]:
    """Dial times of calls not yet resolved, and persons answered with no agent yet.

    Targets claimed (`queued`) and targets a dial task has taken (`dialing`) but whose attempt
    row is not written yet count as dialled now: a dial task under load takes seconds from its
    claim to its rows, and calls the pacer cannot see would be placed again on every tick.
    """
    pending = (CallAttempt.objects.filter(campaign_id=campaign.pk, outcome=Outcome.PENDING,
                                          created_at__gte=now - IN_FLIGHT_HORIZON)
               .filter(Q(bridged_at__isnull=True))
               .values_list("created_at", compliance.PERSON_AT))
    dialled, waiting = [], 0
    for created, answered in pending:
        if answered is None:
            dialled.append(created.timestamp())
        else:
            waiting += 1
    unrecorded = 0
    if dialing:  # a dialing target has its pending attempt once the dial task wrote it
        recorded = CallAttempt.objects.filter(campaign_id=campaign.pk,
                                              outcome=Outcome.PENDING).count()
        unrecorded = max(0, dialing - recorded)
    return dialled + [now.timestamp()] * (queued + unrecorded), waiting


def over_dial(campaign: Campaign, now: dt.datetime, usable: set[str], queued: int = 0,
              dialing: int = 0) -> predictive.Decision:
    """The pacer's decision for the campaign now, published for the floor's card (`queued`
    and `dialing`: the campaign's targets in those states)."""
    epoch = now.timestamp()
    dialled, waiting = in_flight(campaign, now, queued, dialing)
    decision = predictive.decide(predictive.PacerInputs(
        now=epoch, settings=settings_for(campaign),
        agents=agents_outlook(campaign, epoch, usable), in_flight=dialled, waiting=waiting,
        measured=measured(campaign, now), window=compliance.window(campaign, now),
    ))
    publish(campaign, decision, len(dialled), now)
    return decision


def _key(campaign_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:pacing:{campaign_id}"


def publish(campaign: Campaign, decision: predictive.Decision, in_flight_calls: int,
            now: dt.datetime) -> None:
    """Keep the last decision (for the dial-level card) for CARD_TTL_SECONDS."""
    card = {
        "at": now.timestamp(), "dial_mode": campaign.dial_mode, "calls": decision.calls,
        "level": decision.level, "reason": decision.reason, "in_flight": in_flight_calls,
        "ceiling_pct": float(campaign.abandon_ceiling_pct), "formula": campaign.abandon_formula,
        "expected_abandon_pct": round(decision.expected_abandon_share * 100, 3),
        "slack": round(decision.slack, 2),
    }
    redis_client().set(_key(campaign.pk), json.dumps(card), ex=CARD_TTL_SECONDS)


def last_decision(campaign_id: int) -> dict[str, object] | None:
    """The last decision published for the campaign (None when none is fresh)."""
    raw = redis_client().get(_key(campaign_id))
    return json.loads(raw) if raw else None

