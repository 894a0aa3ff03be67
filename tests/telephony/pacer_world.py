"""A floor snapshot for the pacer's table tests: measured rates, agents, calls in flight."""

from __future__ import annotations

import random
from dataclasses import replace

from telephony.predictive import (
    AbandonFormula,
    Agent,
    DialMode,
    Measured,
    PacerInputs,
    PacerSettings,
    Window,
)

NOW = 100_000.0


def measured(live: float = 0.25, resolved: int = 600, talk_mean: float = 240.0,
             person_delay: float = 18.0, seed: int = 7) -> Measured:
    """A campaign's measurements: `live` of `resolved` attempts reached a person."""
    rng = random.Random(seed)
    persons = round(live * resolved)
    return Measured(
        resolved=resolved, persons=persons,
        person_delays=sorted(max(8.0, rng.gauss(person_delay, 4.0)) for _ in range(persons)),
        failure_delays=sorted(rng.uniform(2.0, 35.0) for _ in range(resolved - persons)),
        talk=sorted(rng.expovariate(1 / talk_mean) for _ in range(300)),
        wrap=15.0,
    )


def floor(agents: int = 50, idle: int = 5, in_flight: int = 0, answered: int = 5000,
          abandoned: float = 50.0, mode: DialMode = DialMode.PREDICTIVE,
          formula: AbandonFormula = AbandonFormula.US_30D, ratio: float = 1.0,
          m: Measured | None = None, seed: int = 3) -> PacerInputs:
    """`agents` available agents, `idle` of them free now, the rest talking for 0-300 s."""
    rng = random.Random(seed)
    team = [Agent(free_at=NOW - 1) for _ in range(idle)]
    team += [Agent(talking_since=NOW - rng.uniform(0, 300)) for _ in range(agents - idle)]
    return PacerInputs(
        now=NOW,
        settings=PacerSettings(mode=mode, formula=formula, ratio=ratio),
        agents=team,
        in_flight=[NOW - rng.uniform(0, 10) for _ in range(in_flight)],
        measured=m if m is not None else measured(),
        window=Window(answered, abandoned),
    )


def with_window(inputs: PacerInputs, answered: int, abandoned: float) -> PacerInputs:
    return replace(inputs, window=Window(answered, abandoned))
