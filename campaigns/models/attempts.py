"""Call attempts: one originate of one target, with everything FreeSWITCH told us about it."""

from __future__ import annotations

import uuid

from django.db import models

from campaigns.models.agents import Agent
from campaigns.models.campaign import Campaign
from campaigns.models.target import Target


class Outcome(models.TextChoices):
    PENDING = "", "In progress"
    ANSWERED = "answered", "Answered"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no_answer", "No answer"
    REJECTED = "rejected", "Rejected"
    INVALID_NUMBER = "invalid_number", "Unallocated or invalid number"
    FAILED = "failed", "Failed (callee side)"
    NODE_FAILURE = "node_failure", "Node or trunk failure (not counted)"
    AGENT_UNAVAILABLE = "agent_unavailable", "Agent unavailable (not counted)"
    ABANDONED = "abandoned", "Abandoned (answered, no agent connected)"
    CONFIG_ERROR = "config_error", "Configuration error (not counted)"
    CANCELLED = "cancelled", "Cancelled"
    # Reconcile found no live channel and no CDR: the callee may have answered. Counted, and
    # dialled again only after the campaign's no-answer delay (a later CDR corrects it).
    UNKNOWN = "unknown", "Unknown (outcome lost)"
    # agent_at_hello: a machine answered the extension (hung up on, or the message left).
    VOICEMAIL = "voicemail", "Voicemail"
    # agent_at_hello: the extension rang out, or the attendant never connected.
    NO_PERSON = "no_person", "No person (the extension did not answer)"


class CallAttempt(models.Model):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="call_attempts")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="call_attempts")
    attempt_number = models.PositiveIntegerField()
    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, help_text="origination_uuid of the call"
    )
    job_uuid = models.UUIDField(null=True, blank=True, help_text="Job-UUID of the bgapi originate")
    node = models.CharField(max_length=63, blank=True)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_attempts"
    )
    counts_as_attempt = models.BooleanField(
        default=True, help_text="False for node or trunk failures, which are retried elsewhere"
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    originated_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    dtmf_sent_at = models.DateTimeField(null=True, blank=True)
    bridged_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    hangup_cause = models.CharField(
        max_length=64, blank=True, help_text="The Hangup-Cause of the call's own leg (the callee's "
        "in target_first, the agent's first leg in agent_first)")
    agent_leg_cause = models.CharField(
        max_length=64, blank=True, default="", db_default="",
        help_text="target_first, answered and never connected: how the last agent leg ended "
        "(its originate_disposition, e.g. ORIGINATOR_CANCEL when the callee hung up while the "
        "agent rang, or the agent's cause, e.g. USER_BUSY)")
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True, default="")
    billsec = models.PositiveIntegerField(default=0)
    disposition = models.ForeignKey(
        "campaigns.Disposition", null=True, blank=True, on_delete=models.PROTECT,
        related_name="attempts", help_text="What became of the conversation (set by the agent)")
    disposition_notes = models.TextField(blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    answer_to_agent_ms = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="From the answer (or the extension sent in full) to the agent connected",
    )
    settled_by = models.CharField(
        max_length=16, blank=True, default="", db_default="",
        help_text="What ended the attempt: events, cdr, reconcile or dialer (a later event or "
        "CDR corrects what reconcile settled)")
    released_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the Redis side of the ended call (agent, live-call sets) was given back; "
        "empty after the end: a periodic sweep retries it")
    abandon_message_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the abandon message finished playing (the plan's own mark after it)")
    agent_failovers = models.PositiveSmallIntegerField(
        default=0, help_text="Other agents tried after an agent's phone failed this call"
    )
    # Listening to the line: each step of the connect with its real time and what
    # FreeSWITCH reported (greeting ends, digits, ringback, listens with their loud frames,
    # beep), and what the call was judged to be with the evidence (docs/media-aware-connect.md).
    connect_timeline = models.JSONField(
        default=list, blank=True, db_default=models.Value([], output_field=models.JSONField()),
        help_text="The connect's steps: [{step, at, ...evidence}]",
    )
    heard = models.CharField(
        max_length=16, blank=True, default="", db_default="",
        help_text="agent_at_hello: person, machine or no_person, from connect_timeline",
    )
    hello_at = models.DateTimeField(
        null=True, blank=True, help_text="agent_at_hello: when the person was heard (the "
        "abandon clock starts here)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "attempt_number"], name="attempt_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "outcome"], name="attempt_campaign_outcome_idx"),
            models.Index(fields=["campaign", "created_at"], name="attempt_campaign_time_idx"),
            models.Index(fields=["ended_at"], name="attempt_ended_idx"),
            # Per-agent figures (today's calls on the floor, statistics for a period).
            models.Index(fields=["agent", "ended_at"], name="attempt_agent_ended_idx"),
            # System-wide history charts (per hour / per day over all campaigns).
            models.Index(fields=["created_at"], name="attempt_created_idx"),
            # The sweep of ended calls whose Redis side was not given back (small: usually empty).
            models.Index(fields=["ended_at"], name="attempt_unreleased_idx",
                         condition=models.Q(released_at__isnull=True, ended_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.target} #{self.attempt_number}"
