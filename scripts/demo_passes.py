"""Keep the demo alive: notice when its campaign completes, say so, and start another pass.

Another pass is lead recycling (every finished outcome but answered goes back to pending, the
campaign reopens); once nothing is left to recycle a fresh demo campaign is seeded beside it.
Runs in the demo process (Django set up there), polled from its supervision loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CampaignWatcher:
    """Polls the demo campaign's status every `interval` seconds (one indexed row read)."""

    def __init__(
        self,
        campaign_id: int,
        *,
        say: Callable[[str], None],
        banner: Callable[[int], None],
        another_pass: bool = True,
        reseed: Callable[[], int] | None = None,
        interval: float = 5.0,
    ) -> None:
        self.campaign_id = campaign_id
        self.say = say
        self.banner = banner
        self.another_pass = another_pass
        self.reseed = reseed
        self.interval = interval
        self._next = 0.0
        self._reported: set[tuple[int, int]] = set()  # (campaign, pass) already announced

    def check(self, now: float | None = None) -> None:
        """If the campaign completed: report it, start another pass (unless told not to)."""
        from django.db import close_old_connections, connection

        from campaigns.errors import IllegalTransition, RecycleError
        from campaigns.models import Campaign, CampaignStatus, Target, TargetState
        from campaigns.services import lifecycle

        now = time.monotonic() if now is None else now
        if now < self._next:
            return
        self._next = now + self.interval
        if not connection.in_atomic_block:  # a long-lived process: drop a stale connection
            close_old_connections()
        campaign = Campaign.objects.filter(pk=self.campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.COMPLETED:
            return
        key = (campaign.pk, campaign.passes)
        if key in self._reported:
            return
        self._reported.add(key)
        targets = Target.objects.filter(campaign_id=campaign.pk)
        answered = targets.filter(state=TargetState.COMPLETED).count()
        self.say(
            f"demo campaign #{campaign.pk} completed pass {campaign.passes}: {answered} of "
            f"{targets.count()} targets answered"
        )
        if not self.another_pass:
            self.say("not starting another pass (--no-recycle); the dashboard shows the result")
            self.banner(campaign.pk)
            return
        try:
            reset = lifecycle.recycle(
                campaign, lifecycle.RECYCLABLE_OUTCOMES, reason="make demo: another pass"
            )
        except (RecycleError, IllegalTransition) as exc:
            self.say(f"no other pass on campaign #{campaign.pk} ({exc})")
            if self.reseed is None:
                self.banner(campaign.pk)
                return
            self.campaign_id = self.reseed()
            self.say(f"seeded a fresh demo campaign #{self.campaign_id}")
        else:
            self.say(
                f"pass {campaign.passes} started: {reset} targets not answered are dialled again"
            )
        self.banner(self.campaign_id)


def progress_line() -> str:
    """One line on the calls so far: placed, answered by the callee, connected to an agent."""
    from django.db.models import Count, Q

    from campaigns.models import CallAttempt

    counts = CallAttempt.objects.aggregate(
        placed=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        connected=Count("id", filter=Q(bridged_at__isnull=False)),
    )
    return (f"calls: {counts['placed']} placed, {counts['answered']} answered, "
            f"{counts['connected']} connected")


class ProgressReporter:
    """Says `progress_line()` once a minute (one aggregate query), so a terminal shows life."""

    def __init__(self, say: Callable[[str], None], interval: float = 60.0) -> None:
        self.say = say
        self.interval = interval
        self._next = time.monotonic() + interval

    def check(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now < self._next:
            return
        self._next = now + self.interval
        self.say(progress_line())
