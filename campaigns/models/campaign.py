"""Campaigns: what to dial, when, how fast, and how to connect it."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from campaigns.models.agents import AgentGroup
from campaigns.models.infrastructure import Trunk

WEEKDAYS_MON_FRI = 0b0011111  # bit 0 = Monday ... bit 6 = Sunday


class CampaignMode(models.TextChoices):
    AGENT_FIRST = "agent_first", "Agent first (ring the agent, then dial the target)"
    TARGET_FIRST = "target_first", "Target first (dial, send the extension, then bridge the agent)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    trunk = models.ForeignKey(Trunk, on_delete=models.PROTECT, related_name="campaigns")
    mode = models.CharField(max_length=16, choices=CampaignMode.choices, default=CampaignMode.TARGET_FIRST)
    agent_group = models.ForeignKey(AgentGroup, on_delete=models.PROTECT, related_name="campaigns")
    caller_id_number = models.CharField(max_length=32, blank=True)
    caller_id_name = models.CharField(max_length=64, blank=True)
    default_region = models.CharField(
        max_length=2, default="US", help_text="ISO country code for numbers written without +country"
    )

    # Schedule, in the campaign's own time zone.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    weekdays = models.PositiveSmallIntegerField(
        default=WEEKDAYS_MON_FRI, validators=[MaxValueValidator(0b1111111)],
        help_text="Bit mask, bit 0 = Monday ... bit 6 = Sunday",
    )
    daily_start = models.TimeField(default=dt.time(9, 0))
    daily_end = models.TimeField(
        default=dt.time(17, 0), help_text="An end before the start means the window crosses midnight"
    )
    use_target_timezone = models.BooleanField(
        default=False, help_text="Apply the daily window in each target's own time zone"
    )

    # Pacing.
    max_concurrent = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    calls_per_second = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    originate_timeout = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(300)], help_text="Seconds"
    )

    # Retry policy.
    max_attempts = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    retry_busy_seconds = models.PositiveIntegerField(default=300)
    retry_no_answer_seconds = models.PositiveIntegerField(default=900)
    retry_failed_seconds = models.PositiveIntegerField(default=600)

    # DTMF sent after answer.
    dtmf_settle_ms = models.PositiveIntegerField(
        default=1000, validators=[MaxValueValidator(30_000)], help_text="Wait after answer before the digits"
    )
    dtmf_duration_ms = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(50), MaxValueValidator(2000)], help_text="Tone length"
    )
    dtmf_pause_ms = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(5000)],
        help_text="Extra pause between digits, rounded to FreeSWITCH's 500 ms 'w' steps",
    )

    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CampaignEvent(models.Model):
    """Audit trail of status transitions: who moved the campaign, from what, to what, and why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=16, choices=CampaignStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
