"""The supervisor's floor: dispositions, callbacks and the agents' state-change log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from campaigns.models.agents import Agent
from campaigns.models.campaign import Campaign
from campaigns.models.target import Target


class DispositionKind(models.TextChoices):
    FINAL = "final", "Final (the target is done)"
    RETRY = "retry", "Retry (dial the target again)"
    CALLBACK = "callback", "Call back at a time (asks for it)"
    DO_NOT_CALL = "do_not_call", "Do not call (adds the number to the list)"


class Disposition(models.Model):
    """What became of a conversation, in one campaign's own words."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dispositions")
    code = models.SlugField(max_length=40, help_text="Short machine name, e.g. sale")
    label = models.CharField(max_length=80, help_text="What the agent reads, e.g. Sale")
    kind = models.CharField(max_length=16, choices=DispositionKind.choices,
                            default=DispositionKind.FINAL)
    retry_seconds = models.PositiveIntegerField(
        default=3600, help_text="For a retry: how long before the target is dialled again")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="disposition_code_unique")
        ]

    def __str__(self) -> str:
        return self.label


# The list a new campaign starts with (the admin's "add the default dispositions" action).
DEFAULT_DISPOSITIONS: tuple[tuple[str, str, str], ...] = (
    ("sale", "Sale", DispositionKind.FINAL),
    ("not_interested", "Not interested", DispositionKind.FINAL),
    ("wrong_person", "Wrong person", DispositionKind.RETRY),
    ("call_back", "Call back", DispositionKind.CALLBACK),
    ("do_not_call", "Do not call", DispositionKind.DO_NOT_CALL),
)


class CallbackState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DIALLED = "dialled", "Dialled"
    CANCELLED = "cancelled", "Cancelled"


class Callback(models.Model):
    """A target to dial again at a time the callee chose, in the target's own zone."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="callbacks")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="callbacks")
    attempt = models.ForeignKey("campaigns.CallAttempt", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="callbacks")
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks",
        help_text="The agent asked for: gets the call if available then, else the group")
    due_at = models.DateTimeField(help_text="Stored in UTC; shown in the target's zone")
    timezone = models.CharField(max_length=64, help_text="The zone the time was given in")
    state = models.CharField(max_length=16, choices=CallbackState.choices,
                             default=CallbackState.SCHEDULED)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["target", "state"], name="callback_target_state_idx")]

    def __str__(self) -> str:
        return f"{self.target} at {self.due_at:%Y-%m-%d %H:%M} UTC"

    def clean(self) -> None:
        """The zone must be an IANA name: a time in an unknown zone is a guess."""
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"timezone": [f"unknown time zone {self.timezone!r}"]}) from None


class AgentStateChange(models.Model):
    """One change of one agent's presence, consumed from the presence store's change stream.

    `axis` is intent (value available / paused / logged_out, with the pause reason), activity
    (idle / reserved / ringing / on_call / wrapup) or registration (value online / offline).
    Per-agent statistics replay these rows over a period (campaigns.services.reporting.agent_stats).
    """

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="state_changes")
    at = models.DateTimeField()
    axis = models.CharField(max_length=16)
    value = models.CharField(max_length=24)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Who set an intent")
    node = models.CharField(max_length=63, blank=True)
    stream_id = models.CharField(max_length=40, unique=True,
                                 help_text="The change stream's entry id (consumed once)")

    class Meta:
        ordering = ["agent", "at", "id"]
        indexes = [models.Index(fields=["agent", "at"], name="agent_change_time_idx"),
                   models.Index(fields=["at"], name="agent_change_at_idx")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.axis}={self.value} at {self.at:%H:%M:%S}"
