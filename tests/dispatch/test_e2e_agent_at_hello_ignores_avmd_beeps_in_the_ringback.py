"""End to end, `agent_at_hello`: real avmd takes a ringback burst for a beep, and the call goes on.

On real FreeSWITCH 1.10.12 (lab, 2026-12-08, far ends of captures 45 and 46), `avmd::beep` came
0.2-0.5 s into a 440+480 Hz ringback burst (`Frequency` 443-450) in 4 of 6 calls, e.g. in the
second burst before "Hello? This is Bob.", once in the first burst before a voicemail greeting.
The product used to call that a machine and hang up on the person. A beep heard inside a sound
that is a ringback burst is the ringback: the person still gets the agent at the hello, and a
machine after such a false beep is still told by its long greeting.
"""

from __future__ import annotations

import pytest

from campaigns.models import CallAttempt, Outcome
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    callee,
    commands,
    one_target,
    phone,
    start,
    wait_target,
)
from tests.dispatch.media_far_ends import HELLO, VOICEMAIL, attendant, ringback

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

world = agent_world_fixture(agents=1)

MISTAKEN_MS = 220  # avmd::beep 0.22 s into the second burst (lab call D)


def _ringback_avmd_mistakes(bursts: int, burst: int) -> list[dict]:
    """`bursts` ringback bursts; avmd takes burst number `burst` (from 0) for a beep."""
    media = ringback(bursts)
    tones = [s for s in media if s["kind"] == "ringback"]
    tones[burst]["avmd_ms"] = MISTAKEN_MS
    return media


def _campaign(world, worker_factory, beat_factory, *, number, media, hangup_ms, **fields):
    (agent,) = world.agents[world.nodes[0]]
    phone(world, agent, "answer")
    callee(world, number, kind="answer", answer_ms=40, hangup_ms=hangup_ms, media=media)
    made = world.campaign(mode="agent_at_hello", originate_timeout=10,
                          connect_plan="attendant", **fields)
    start(world, worker_factory, beat_factory)
    return agent, one_target(made, number, extension="123")


def _steps(attempt, step):
    return [s for s in attempt.connect_timeline if s["step"] == step]


def test_a_person_after_a_ringback_avmd_called_a_beep_still_gets_the_agent(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777101"
    agent, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                              media=attendant(then=_ringback_avmd_mistakes(2, 1) + HELLO),
                              hangup_ms=22_000)
    wait_target(world, target, lambda t: t.last_outcome is not None and t.last_outcome != "", 60,
                "the call to be settled")
    (attempt,) = CallAttempt.objects.filter(target=target)
    (beep,) = _steps(attempt, "beep")
    assert beep["frequency"].startswith("443")  # the false beep was heard and kept
    listens = _steps(attempt, "listen")
    assert [s["heard"] for s in listens] == ["ringback", "ringback", "person"]
    assert listens[1]["beep"] and not listens[2]["beep"]
    target.refresh_from_db()
    assert target.last_outcome == Outcome.ANSWERED
    assert attempt.heard == "person" and attempt.agent_id == agent.id
    assert (attempt.bridged_at - attempt.hello_at).total_seconds() < 2.0
    assert not commands(world, "uuid_kill")


def test_a_machine_after_a_false_beep_is_still_told_by_its_long_greeting(
        world, celery_worker_factory, celery_beat_factory):
    number = "+14157777102"
    _, target = _campaign(world, celery_worker_factory, celery_beat_factory, number=number,
                          media=attendant(then=_ringback_avmd_mistakes(1, 0) + VOICEMAIL),
                          hangup_ms=40_000, retry_voicemail_seconds=600)
    wait_target(world, target, lambda t: t.last_outcome == Outcome.VOICEMAIL, 60,
                "the machine's call to end")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert (attempt.heard, attempt.agent_id, attempt.bridged_at) == ("machine", None, None)
    listens = _steps(attempt, "listen")
    assert [s["heard"] for s in listens] == ["ringback", "machine"]
    # avmd reports one beep per start: the false one; the greeting's length tells the machine.
    assert listens[0]["beep"] and not listens[1]["beep"]
    assert 120 < listens[-1]["listen_hits"] <= 148
    assert not [c for c in commands(world, "user/")]  # no agent was ever rung
