"""A paced campaign's measured history: resolved attempts an hour old, for the pacer to read."""

from __future__ import annotations

import datetime as dt

from campaigns.models import CallAttempt, Outcome, TargetState
from tests.dispatch.world import add_targets


def history(campaign, now, persons=100, failures=300):
    """Resolved attempts an hour ago: persons after 18 s, 240 s talks; failures after 20 s."""
    ids = add_targets(campaign, persons + failures, state=TargetState.COMPLETED, extension="9")
    start = now - dt.timedelta(hours=1)
    rows = []
    for i, target_id in enumerate(ids):
        person = i < persons
        answered = start + dt.timedelta(seconds=18) if person else None
        rows.append(CallAttempt(
            target_id=target_id, campaign=campaign, attempt_number=1,
            # Paced campaigns connect at the hello: a person is heard (the abandon clock's start).
            answered_at=answered, hello_at=answered, heard="person" if person else "",
            bridged_at=answered + dt.timedelta(milliseconds=500) if person else None,
            answer_to_agent_ms=500 if person else None,
            ended_at=(answered + dt.timedelta(seconds=240) if person
                      else start + dt.timedelta(seconds=20)),
            outcome=Outcome.ANSWERED if person else Outcome.NO_ANSWER))
    CallAttempt.objects.bulk_create(rows)
    CallAttempt.objects.filter(campaign=campaign).update(created_at=start)
