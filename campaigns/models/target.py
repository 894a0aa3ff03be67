"""Targets: one number (plus extension digits) to reach in a campaign."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from campaigns.models.campaign import Campaign
from telephony import dialstring


class TargetState(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    DIALING = "dialing", "Dialing"
    RETRY_WAIT = "retry_wait", "Waiting to retry"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    DO_NOT_CALL = "do_not_call", "Do not call"

    @property
    def is_open(self) -> bool:
        """Not final: the target is still to be dialled, or being dialled, now or later."""
        return self not in FINAL_STATES

    @classmethod
    def open_states(cls) -> tuple[TargetState, ...]:
        """Every open state, for queries (`state__in=TargetState.open_states()`)."""
        return tuple(state for state in cls if state.is_open)


# States from which a target can still be dialled by the tick.
DUE_STATES = (TargetState.PENDING, TargetState.RETRY_WAIT)
FINAL_STATES = (
    TargetState.COMPLETED,
    TargetState.FAILED,
    TargetState.CANCELLED,
    TargetState.DO_NOT_CALL,
)


class Target(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    number = models.CharField(max_length=20, help_text="E.164, e.g. +14155550100")
    extension = models.CharField(
        max_length=64, blank=True, help_text="DTMF digits 0-9 * # A-D, with w/W pauses"
    )
    external_ref = models.CharField(max_length=100, blank=True)
    custom_data = models.JSONField(default=dict, blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="Derived from the number")
    state = models.CharField(
        max_length=16, choices=TargetState.choices, default=TargetState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=32, blank=True)
    last_hangup_cause = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A company's main line appears once per extension: several people behind one
            # auto-attendant are distinct targets.
            models.UniqueConstraint(
                fields=["campaign", "number", "extension"], name="target_unique_per_campaign"
            )
        ]
        indexes = [
            # The tick's claim: due targets of one campaign, oldest first (O(budget)).
            models.Index(
                fields=["campaign", "state", "next_attempt_at", "id"], name="target_due_idx"
            ),
            models.Index(fields=["number"], name="target_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number},{self.extension}" if self.extension else self.number

    def effective_timezone(self) -> str:
        """The zone the daily window applies in: the target's own if the campaign asks for it."""
        if self.campaign.use_target_timezone and self.timezone:
            return self.timezone
        return self.campaign.timezone

    def is_due(self, now) -> bool:
        """Whether the tick may dial this target at `now` (state, retry time, window)."""
        if self.state not in DUE_STATES:
            return False
        if self.next_attempt_at and self.next_attempt_at > now:
            return False
        return self.campaign.is_in_window(now, self.effective_timezone())

    def dtmf(self) -> str:
        """The DTMF string for this target's extension under its campaign's settings."""
        return self.campaign.dtmf_for(self.extension)

    def clean(self) -> None:
        """Normalise the number (campaign region), derive the zone, check the grammars."""
        from campaigns.validators import NumberError, parse_target, time_zone_names

        region = self.campaign.default_region if self.campaign_id else "US"
        try:
            self.number, self.extension, zone = parse_target(
                self.number or "", self.extension or "", region
            )
        except (NumberError, dialstring.DialstringError) as exc:
            field = "number" if isinstance(exc, NumberError) else "extension"
            raise ValidationError({field: [str(exc)]}) from None
        if self.timezone and self.timezone not in time_zone_names():
            raise ValidationError({"timezone": ["Unknown time zone; use an IANA name."]})
        self.timezone = self.timezone or zone
