"""End to end, target_first, per connect plan, against attendants scripted in the emulator:

* `attendant`: the digits go after the greeting's end (its 0.28 s pause does not fool a 600 ms
  silence), so no digit is sent over the greeting (the emulator's own media log says so);
  each step is on the attempt with its time;
* `blind`: the settle delay sends the digits over the greeting (the problem the plan solves);
* `attendant` against a greeting that never pauses: the wait times out, the digits go anyway,
  and the attempt says the prompt never ended;
* two stages (`1,23`): each waits for its own prompt.
One call per number in the emulator's log, the agent bridged after the digits in every case.
"""

from __future__ import annotations

import pytest

from campaigns.models import CallAttempt, Outcome
from tests.dispatch.e2e_agents import (
    agent_world_fixture,
    callee,
    one_target,
    originates_to,
    phone,
    start,
    wait_target,
)
from tests.dispatch.media_far_ends import NEVER_PAUSES, attendant

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

world = agent_world_fixture(agents=1)


def _run(world, worker_factory, beat_factory, *, number: str, media, extension: str,
         **campaign):
    (agent,) = world.agents[world.nodes[0]]
    phone(world, agent, "answer")
    callee(world, number, kind="answer", answer_ms=40, hangup_ms=9000, media=media)
    made = world.campaign(mode="target_first", originate_timeout=10, **campaign)
    start(world, worker_factory, beat_factory)
    target = one_target(made, number, extension=extension)
    wait_target(world, target, lambda t: t.last_outcome == Outcome.ANSWERED, 60,
                "the call to reach the agent")
    (attempt,) = CallAttempt.objects.filter(target=target)
    assert len(originates_to(world, number)) == 1
    media_log = world.cluster.node(attempt.node).call("media", uuid=str(attempt.uuid))
    return attempt, media_log


def _steps(attempt):
    return [(s["step"], s.get("stage"), s.get("timeout")) for s in attempt.connect_timeline]


def test_attendant_plan_sends_the_digits_after_the_greeting(
        world, celery_worker_factory, celery_beat_factory):
    attempt, media = _run(world, celery_worker_factory, celery_beat_factory,
                          number="+14157776001", media=attendant(), extension="123",
                          connect_plan="attendant", listen_silence_ms=600)
    assert [d["digit"] for d in media["digits"]] == ["1", "2", "3"]
    assert media["digits_over_sound"] == 0
    assert _steps(attempt) == [("prompt_end", 1, False), ("digits", 1, None),
                               ("digits_done", None, None)]
    prompt = attempt.connect_timeline[0]
    assert prompt["listen_hits"] > 50
    greeting_end = media["timeline"][3]["end"]
    first_digit = media["digits"][0]["played_at"]
    # silence_ms + FreeSWITCH's 500 ms after the greeting, then the digits (loaded machine: 2 s)
    assert 1.0 <= first_digit - greeting_end <= 3.0
    assert attempt.bridged_at is not None and attempt.dtmf_sent_at is not None


def test_blind_plan_sends_the_digits_over_the_greeting(
        world, celery_worker_factory, celery_beat_factory):
    attempt, media = _run(world, celery_worker_factory, celery_beat_factory,
                          number="+14157776002", media=attendant(), extension="123",
                          connect_plan="blind", dtmf_settle_ms=500)
    assert media["digits_over_sound"] == 3
    assert {d["over"] for d in media["digits"]} == {"greeting"}
    assert _steps(attempt) == [("digits", 0, None), ("digits_done", None, None)]


def test_a_greeting_that_never_pauses_gets_the_digits_on_the_timeout_and_says_so(
        world, celery_worker_factory, celery_beat_factory):
    attempt, media = _run(world, celery_worker_factory, celery_beat_factory,
                          number="+14157776003", media=NEVER_PAUSES, extension="123",
                          connect_plan="attendant", listen_timeout_ms=3000)
    assert _steps(attempt) == [("prompt_end", 1, True), ("digits", 1, None),
                               ("digits_done", None, None)]
    assert media["digits_over_sound"] == 3


def test_each_stage_of_a_two_stage_extension_waits_for_its_prompt(
        world, celery_worker_factory, celery_beat_factory):
    attempt, media = _run(world, celery_worker_factory, celery_beat_factory,
                          number="+14157776004",
                          media=attendant(stages=2, digits=(1, 2)), extension="1,23",
                          connect_plan="attendant", listen_silence_ms=600)
    assert _steps(attempt) == [("prompt_end", 1, False), ("digits", 1, None),
                               ("prompt_end", 2, False), ("digits", 2, None),
                               ("digits_done", None, None)]
    assert [d["digit"] for d in media["digits"]] == ["1", "2", "3"]
    assert media["digits_over_sound"] == 0
