"""End to end, issue 19 item 5: a predictive campaign with the agent at the hello, on the emulator.

Two emulated nodes over TCP, 24 registered agents, the real listener, results consumer, a Celery
worker and beat (the 1-second tick asks the pacer). The campaign: `dial_mode=predictive`,
`agent_at_hello`, the UK formula, a 3 % ceiling, 1 % AMD false positives. Its numbers, behind an
attendant and its extension: a person after one ring (talks a few seconds), a voicemail, an
extension that rings out, and busy lines, so that about a third of the calls reach a person.
History seeded in the window (attempts dialled minutes ago: talks, persons, failures, no
abandon) lets the pacer leave its cold start on the first ticks.

Checked over the run (about a minute of dialling):
* the dial level went above 1 (the published decision), and the calls in flight at some moment
  outnumbered the agents free then;
* the abandon rate under the UK formula (the compliance evidence, and the running window
  recomputed from the attempts in hello order) stays within 3 %;
* nothing doubled: one originate per attempt in the emulator's log, never two calls in flight for
  one target, never one agent on two calls at once;
* no target abandoned in the run is dialled again (UK 72 hours);
* every abandoned call whose callee stayed through the message has `abandon_message_at`;
* the dial-level card shows predictive, the ceiling and a reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from campaigns.models import CallAttempt, Outcome, Target, TargetState
from campaigns.services.floor.snapshot import pacing_card
from campaigns.services.reporting import compliance
from tests.dispatch.e2e_agents import agent_world_fixture, agents, callee, commands, phone, start
from tests.dispatch.e2e_world import World, wait_for
from tests.dispatch.media_far_ends import HELLO, VOICEMAIL, attendant, ringback

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

world = agent_world_fixture(agents=12, nodes=2)

PERSONS, MACHINES, RING_OUT, BUSY = "+4420790001", "+4420790002", "+4420790003", "+4420790004"
# Per 20 targets: 7 persons, 5 machines, 3 that ring out, 5 busy (35 % persons).
MIX = [PERSONS] * 7 + [MACHINES] * 5 + [RING_OUT] * 3 + [BUSY] * 5
TARGETS = 100
HISTORY = 800  # 280 persons, 200 machines, 120 rang out, 200 busy


def _script_far_ends(world: World) -> None:
    # A person after the attendant and one ring (~8 s); hangs up 24 s after the answer (a talk
    # of ~15 s, long enough that a results side lagging a few seconds on this loaded machine
    # still finds the callee there).
    callee(world, PERSONS + "*", kind="answer", answer_ms=40, hangup_ms=24_000,
           media=attendant(then=ringback(1) + HELLO))
    callee(world, MACHINES + "*", kind="answer", answer_ms=40, hangup_ms=30_000,
           media=attendant(then=ringback(1) + VOICEMAIL))
    callee(world, RING_OUT + "*", kind="answer", answer_ms=40, hangup_ms=40_000,
           media=attendant(then=ringback(4, detectable=False)))
    callee(world, BUSY + "*", kind="busy")


def _seed_history(campaign: Any, now: dt.datetime) -> None:
    """Attempts dialled 2 to 20 minutes ago, in the run's own mix and timings (the pacer learns
    only from calls dialled a minute before, so over the run it paces from these): persons
    heard 9.5-12.5 s after the dial (the attendant, the digits, a ring and
    the hello take about 10 s here; a history that says persons come sooner makes the pacer
    take the later ones for failures and over-dial) and bridged at once (talks of 14-17 s),
    machines ended after 13 s, extensions that rang out after 17 s, busy lines at once. Their
    targets are completed, so the run never dials them."""
    n = HISTORY
    targets = Target.objects.bulk_create(
        Target(campaign=campaign, number=f"+4420780{i:05d}", extension="3",
               state=TargetState.COMPLETED) for i in range(n))
    rows = []
    for i, target in enumerate(targets):
        created = now - dt.timedelta(minutes=2) - dt.timedelta(seconds=1.3 * i)
        kind = MIX[i % len(MIX)]
        if kind == PERSONS:
            hello = created + dt.timedelta(seconds=9.5 + i % 4)
            rows.append(CallAttempt(
                target=target, campaign=campaign, attempt_number=1, outcome=Outcome.ANSWERED,
                answered_at=created + dt.timedelta(seconds=0.2), heard="person", hello_at=hello,
                bridged_at=hello + dt.timedelta(seconds=0.6), answer_to_agent_ms=600,
                ended_at=hello + dt.timedelta(seconds=14 + i % 4)))
        elif kind == BUSY:
            rows.append(CallAttempt(target=target, campaign=campaign, attempt_number=1,
                                    outcome=Outcome.BUSY,
                                    ended_at=created + dt.timedelta(seconds=0.1)))
        else:
            machine = kind == MACHINES
            rows.append(CallAttempt(
                target=target, campaign=campaign, attempt_number=1,
                outcome=Outcome.VOICEMAIL if machine else Outcome.NO_PERSON,
                answered_at=created + dt.timedelta(seconds=0.2),
                heard="machine" if machine else "no_person",
                ended_at=created + dt.timedelta(seconds=13 if machine else 17)))
    made = CallAttempt.objects.bulk_create(rows)
    for i, attempt in enumerate(made):  # created_at is auto_now_add
        attempt.created_at = now - dt.timedelta(minutes=2) - dt.timedelta(seconds=1.3 * i)
    CallAttempt.objects.bulk_update(made, ["created_at"], batch_size=200)


def _still_to_dial(ids: set[int]) -> bool:
    """Targets of the run still open and due within the hour (an abandoned one waits 72 h)."""
    soon = timezone.now() + dt.timedelta(hours=1)
    return Target.objects.filter(id__in=ids, state__in=[
        TargetState.PENDING, TargetState.QUEUED, TargetState.DIALING, TargetState.RETRY_WAIT],
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=soon)).exists()


def _spans(rows: list[tuple[Any, dt.datetime, dt.datetime | None]], end: dt.datetime
           ) -> dict[Any, list[tuple[dt.datetime, dt.datetime]]]:
    out: dict[Any, list[tuple[dt.datetime, dt.datetime]]] = {}
    for key, began, stop in rows:
        out.setdefault(key, []).append((began, stop or end))
    return out


def _overlapping(spans: dict[Any, list[tuple[dt.datetime, dt.datetime]]]) -> list[Any]:
    bad = []
    for key, rows in spans.items():
        rows.sort()
        if any(rows[i + 1][0] < rows[i][1] for i in range(len(rows) - 1)):
            bad.append(key)
    return bad


def test_a_predictive_campaign_over_dials_within_the_abandon_ceiling_and_doubles_nothing(
        world, celery_worker_factory, celery_beat_factory, redis_client, key_prefix, settings):
    everyone = agents(world)
    assert len(everyone) == 24
    for agent in everyone:
        phone(world, agent, "answer")
    _script_far_ends(world)
    campaign = world.campaign(
        mode="agent_at_hello", connect_plan="attendant", dial_mode="predictive",
        abandon_formula="uk_24h", abandon_ceiling_pct=Decimal("3.0"),
        amd_false_positive_pct=Decimal("1.0"), abandon_message="tone:200/200/480x1",
        originate_timeout=10, ring_timeout_seconds=8, max_attempts=2, retry_busy_seconds=5,
        retry_no_person_seconds=5, retry_voicemail_seconds=5)
    started = timezone.now()
    _seed_history(campaign, started)
    run = Target.objects.bulk_create(
        Target(campaign=campaign, number=f"{MIX[i % len(MIX)]}{i:03d}", extension="123")
        for i in range(TARGETS))
    run_ids = {t.id for t in run}
    start(world, celery_worker_factory, celery_beat_factory)

    # Watch the card the tick publishes while the campaign dials.
    card_key = f"{key_prefix}:pacing:{campaign.id}"
    cards: list[dict[str, Any]] = []
    settings.REDIS_KEY_PREFIX = key_prefix
    card_view: dict[str, Any] = {}
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        raw = redis_client.get(card_key)
        if raw:
            cards.append(json.loads(raw))
            if not card_view and cards[-1]["level"] and cards[-1]["level"] > 1:
                card_view = pacing_card(campaign)
        if not _still_to_dial(run_ids) and not CallAttempt.objects.filter(
                campaign=campaign, ended_at__isnull=True).exists():
            break
        time.sleep(0.5)
    wait_for(lambda: not CallAttempt.objects.filter(campaign=campaign, ended_at__isnull=True)
             .exists(), 60, "every call to end", world.logs)
    ended = timezone.now()

    attempts = list(CallAttempt.objects.filter(campaign=campaign, target_id__in=run_ids)
                    .order_by("created_at"))
    assert len(attempts) >= TARGETS, (len(attempts), world.logs())
    outcomes = Counter(a.outcome for a in attempts)
    print(f"attempts {len(attempts)} outcomes {dict(outcomes)} "
          f"run {(ended - started).total_seconds():.0f} s")

    # 1. The dial level went above 1, and calls in flight outnumbered the agents free.
    levels = [c["level"] for c in cards if c["level"] is not None]
    assert cards and max(levels or [0]) > 1, [c["reason"] for c in cards[-5:]]
    # The card's level is (in flight + placed now) / free agents: the agents free at that tick.
    free = [(c["in_flight"], (c["in_flight"] + c["calls"]) / c["level"]) for c in cards
            if c["level"]]
    assert any(calls > agents_free for calls, agents_free in free), cards[-5:]
    spans = sorted((a.created_at, a.ended_at or ended) for a in attempts)
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    peak = live = 0
    for _, step in events:
        live += step
        peak = max(peak, live)
    print(f"max level {max(levels):.2f}, peak calls in flight {peak}, cards {len(cards)}")
    assert peak > len(everyone), peak  # more calls at once than agents at all

    # 2. The abandon rate under the UK formula stays within the ceiling.
    evidence = compliance.evidence(campaign, started - dt.timedelta(hours=1), ended)
    print(f"evidence {evidence}")
    assert evidence.live_answered > HISTORY * len([k for k in MIX if k == PERSONS]) // len(MIX)
    dropped = [a for a in attempts if a.hello_at and a.bridged_at is None]
    if evidence.abandon_rate_uk is None or evidence.abandon_rate_uk > 0.03:
        for a in dropped[:3]:
            print(a.id, a.agent_id, a.hello_at, a.ended_at, a.connect_timeline[-5:])
        for p in world.processes:
            print(f"--- {p.kind}")
            print("\n".join(line for line in p.log().splitlines()
                            if "WARN" in line or "ERROR" in line or "hello" in line)[-6000:])
    assert evidence.abandon_rate_uk is not None and evidence.abandon_rate_uk <= 0.03
    # The window's rate after each abandon (1 % of machines counted as abandoned persons), in
    # the order persons and machines were heard: never above the ceiling.
    heard = sorted([(a.hello_at, "person", a) for a in CallAttempt.objects.filter(
        campaign=campaign, hello_at__isnull=False)] + [(a.ended_at, "machine", a) for a in
        CallAttempt.objects.filter(campaign=campaign, heard="machine")], key=lambda e: e[0])
    machines = answered = abandoned = 0
    for _, kind, a in heard:
        if kind == "machine":
            machines += 1
            continue
        answered += 1
        dropped_now = a.bridged_at is None or (a.answer_to_agent_ms or 0) > 2000
        abandoned += dropped_now
        fp = machines * 0.01
        assert not dropped_now or (abandoned + fp) / (answered + fp) <= 0.03, (
            answered, abandoned, machines)
    assert (answered, abandoned) == (evidence.live_answered, evidence.abandoned)
    assert evidence.abandon_message_played == evidence.abandoned

    # 3. Nothing doubled.
    originates = [c for c in commands(world, "originate")
                  if c["command"].startswith("bgapi originate")]
    per_uuid = Counter(m.group(1) for c in originates
                       if (m := re.search(r"origination_uuid=([0-9a-f-]{36})", c["command"])))
    assert [(a.id, per_uuid[str(a.uuid)]) for a in attempts if per_uuid[str(a.uuid)] != 1] == []
    assert len([c for c in originates if "+44207900" in c["command"]]) == len(attempts)
    assert _overlapping(_spans([(a.target_id, a.created_at, a.ended_at)
                                for a in attempts], ended)) == []
    bridged = [(a.agent_id, a.bridged_at, a.ended_at) for a in attempts if a.bridged_at]
    assert _overlapping(_spans(bridged, ended)) == []

    # 4. No person dialled again after an abandon inside the run (UK: 72 hours).
    for a in dropped:
        assert not [b for b in attempts if b.target_id == a.target_id
                    and b.created_at > a.created_at], a.target_id
        target = Target.objects.get(id=a.target_id)
        assert target.state != TargetState.PENDING
        if target.next_attempt_at:
            assert target.next_attempt_at >= a.ended_at + dt.timedelta(hours=71)

    # 5. The abandon message's proof on every abandoned call that played it (the callee stays
    # 24 s after the answer, the message is a fraction of a second).
    for a in dropped:
        assert a.abandon_message_at is not None, (a.id, a.connect_timeline)
    print(f"abandoned {len(dropped)}")
    for a in dropped:  # what the pacer had decided just before each abandon
        before = [c for c in cards if c["at"] <= a.hello_at.timestamp()]
        card = before[-1] if before else {}
        print(f"  abandon at +{(a.hello_at - started).total_seconds():.1f} s: level "
              f"{card.get('level')} in flight {card.get('in_flight')} calls {card.get('calls')}"
              f" reason {card.get('reason')}")

    # 6. The dial-level card: predictive, the ceiling and a reason.
    assert card_view, "no card with a level above 1 was read"
    assert card_view["dial_mode"] == "predictive" and card_view["ceiling_pct"] == 3.0
    assert card_view["formula"] == "uk_24h" and card_view["why"]
    assert card_view["decision"]["reason"]
