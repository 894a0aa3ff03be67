"""Campaigns: what to dial, when, how fast, and how to connect it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, StepValueValidator
from django.db import models
from django.urls import reverse

from campaigns.models.agents import AgentGroup
from campaigns.models.infrastructure import Trunk
from telephony import dialstring

WEEKDAYS_MON_FRI = 0b0011111  # bit 0 = Monday ... bit 6 = Sunday


class CampaignMode(models.TextChoices):
    AGENT_FIRST = "agent_first", "Agent first (ring the agent, then dial the target)"
    TARGET_FIRST = "target_first", "Target first (dial, send the extension, then bridge the agent)"
    AGENT_AT_HELLO = "agent_at_hello", (
        "Agent at the hello (no agent held until a person speaks, then bridged at once)"
    )


class ConnectPlan(models.TextChoices):
    BLIND = "blind", "Blind (the settle delay, then the digits)"
    ATTENDANT = "attendant", "Attendant (wait for each prompt to finish, then its digits)"


class VoicemailAction(models.TextChoices):
    HANGUP = "hangup", "Hang up"
    MESSAGE = "message", "Leave the campaign's message after the beep"



UK_NO_REDIAL_SECONDS = 72 * 3600


class DialMode(models.TextChoices):
    PROGRESSIVE = "progressive", "Progressive (one call per free agent)"
    PREDICTIVE = "predictive", "Predictive (paced under the abandon ceiling)"
    RATIO = "ratio", "Fixed ratio (calls per free agent)"


class AbandonFormula(models.TextChoices):
    US_30D = "us_30d", "US: per campaign, each 30 days (FTC TSR, FCC)"
    UK_24H = "uk_24h", "UK: per campaign, each 24 hours, AMD false positives counted (Ofcom)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class UnknownOutcome(models.TextChoices):
    """What becomes of a target whose call's outcome was lost (no event, no CDR: `unknown`)."""

    HOLD = "hold", "Hold it until a person checks it (recycle it to dial again)"
    RETRY = "retry", "Dial it again after the no-answer delay (the abandon delay if it answered)"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    trunk = models.ForeignKey(Trunk, on_delete=models.PROTECT, related_name="campaigns")
    mode = models.CharField(
        max_length=16, choices=CampaignMode.choices, default=CampaignMode.TARGET_FIRST
    )
    agent_group = models.ForeignKey(AgentGroup, on_delete=models.PROTECT, related_name="campaigns")
    caller_id_number = models.CharField(max_length=32, blank=True)
    caller_id_name = models.CharField(max_length=64, blank=True)
    default_region = models.CharField(
        max_length=2,
        default="US",
        help_text="ISO country code for numbers written without +country",
    )

    # Schedule, in the campaign's own time zone.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    weekdays = models.PositiveSmallIntegerField(
        default=WEEKDAYS_MON_FRI,
        validators=[MaxValueValidator(0b1111111)],
        help_text="Bit mask, bit 0 = Monday ... bit 6 = Sunday",
    )
    daily_start = models.TimeField(default=dt.time(9, 0))
    daily_end = models.TimeField(
        default=dt.time(17, 0),
        help_text="An end before the start means the window crosses midnight",
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
        default=1000,
        validators=[MaxValueValidator(30_000)],
        help_text="Wait after answer before the digits",
    )
    dtmf_duration_ms = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(50), MaxValueValidator(2000)],
        help_text="Tone length",
    )
    dtmf_pause_ms = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(5000)],
        help_text="Extra pause between digits, rounded to FreeSWITCH's 500 ms 'w' steps",
    )
    dtmf_comma_pause_ms = models.PositiveIntegerField(
        "Pause per comma (ms)",
        default=dialstring.DEFAULT_COMMA_PAUSE_MS,
        validators=[
            MinValueValidator(dialstring.COMMA_PAUSE_MIN_MS),
            MaxValueValidator(dialstring.COMMA_PAUSE_MAX_MS),
        ],
        help_text="Each comma (or p) in an extension pauses this long, as phones do (about 2 s); "
        "rounded down to 500 ms steps",
    )
    passes = models.PositiveIntegerField(
        default=1, help_text="Passes over the list: lead recycling starts another"
    )

    # Listening to the line (docs/media-aware-connect.md): when the digits go, and, with the
    # agent at the hello, who answered the extension. Every number reaches wait_for_silence
    # through telephony.listening's range-checked renderer.
    connect_plan = models.CharField(
        max_length=16, choices=ConnectPlan.choices, default=ConnectPlan.BLIND,
        db_default=ConnectPlan.BLIND,
        help_text="blind: the settle delay, then the digits; attendant: each stage's digits once "
        "the attendant's prompt has finished (on its timeout the digits go anyway, and the "
        "attempt says so)",
    )
    listen_threshold = models.PositiveIntegerField(
        default=200, db_default=200, validators=[MinValueValidator(50), MaxValueValidator(5000)],
        help_text="Energy of a loud 20 ms frame (mean absolute sample)",
    )
    listen_silence_ms = models.PositiveIntegerField(
        default=600, db_default=600, validators=[MinValueValidator(300), MaxValueValidator(3000),
                                 StepValueValidator(20)],
        help_text="Quiet that ends a prompt; must be longer than the greeting's own pauses "
        "(FreeSWITCH adds a fixed 500 ms)",
    )
    listen_hits = models.PositiveIntegerField(
        default=10, db_default=10, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Loud frames heard before quiet counts (skips the leading silence)",
    )
    listen_timeout_ms = models.PositiveIntegerField(
        default=10_000, db_default=10_000,
        validators=[MinValueValidator(1000), MaxValueValidator(60_000)],
        help_text="Longest wait for one prompt to finish",
    )
    person_max_ms = models.PositiveIntegerField(
        default=2400, db_default=2400,
        validators=[MinValueValidator(600), MaxValueValidator(10_000)],
        help_text="agent_at_hello: a first utterance with at most this much sound is a person; "
        "longer, or a beep, is a machine",
    )
    ring_timeout_seconds = models.PositiveIntegerField(
        default=30, db_default=30, validators=[MinValueValidator(6), MaxValueValidator(120)],
        help_text="agent_at_hello: how long the extension may ring before the call is no_person",
    )
    voicemail_action = models.CharField(
        max_length=16, choices=VoicemailAction.choices, default=VoicemailAction.HANGUP,
        db_default=VoicemailAction.HANGUP,
    )
    voicemail_message = models.CharField(
        max_length=200, default="tone:400/200/660x3", db_default="tone:400/200/660x3",
        help_text="Left after the beep when the action is 'message': tone:... or file:...",
    )
    retry_voicemail_seconds = models.PositiveIntegerField(
        default=7200, db_default=7200,
        help_text="Delay before a number that reached voicemail is called again",
    )
    retry_no_person_seconds = models.PositiveIntegerField(
        default=3600, db_default=3600,
        help_text="Delay before a number whose extension nobody answered is called again",
    )

    # The person who answered (target_first): how long an agent's phone may ring, how often and
    # for how long the call fails over to another agent, and what the callee hears when none
    # takes it (then the attempt is `abandoned`, retried after its own delay).
    agent_ring_timeout = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="Seconds an agent's phone may ring (leg_timeout on the bridge)",
    )
    max_agent_failovers = models.PositiveIntegerField(
        default=2, validators=[MaxValueValidator(5)],
        help_text="Other agents tried after the first one's phone failed (target_first)",
    )
    failover_window_seconds = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(2), MaxValueValidator(120)],
        help_text="How long a callee holds (hearing ringback) for another agent at most",
    )
    abandon_message = models.CharField(
        max_length=200, default="tone:500/500/480+620x4",
        # No angle brackets: the admin renders help text as HTML and would eat "<on>".
        help_text="Played when no agent takes an answered call: tone:ON/OFF/HZ[+HZ][xLOOPS] "
        "(milliseconds on and off, frequencies in hertz, e.g. tone:500/500/480+620x4) or "
        "file:PATH (a sound file on the node)",
    )
    retry_abandoned_seconds = models.PositiveIntegerField(
        default=3600, help_text="Delay before an abandoned callee is called again",
    )
    unknown_outcome = models.CharField(
        max_length=8, choices=UnknownOutcome.choices, default=UnknownOutcome.HOLD,
        db_default=UnknownOutcome.HOLD,
        help_text="A call whose outcome was lost (no event, no CDR) may have reached a person: "
        "hold its target until someone checks (the default), or dial it again after a delay",
    )

    # Predictive pacing (docs/predictive-pacing.md) and the compliance evidence.
    dial_mode = models.CharField(
        max_length=16, choices=DialMode.choices, default=DialMode.PROGRESSIVE,
        db_default=DialMode.PROGRESSIVE,
        help_text="Predictive and ratio need the agent_at_hello connect mode",
    )
    abandon_ceiling_pct = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("3.00"), db_default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("3.00"))],
        help_text="Abandoned calls the pacer never lets the window cross, in % of live answers",
    )
    abandon_formula = models.CharField(
        max_length=8, choices=AbandonFormula.choices, default=AbandonFormula.US_30D,
        db_default=AbandonFormula.US_30D,
        help_text="The regulator's window and formula; UK mode also forbids a redial within "
        "72 hours of an abandon",
    )
    dial_ratio = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"), db_default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("20.00"))],
        help_text="Fixed ratio mode: calls in flight per free agent",
    )
    amd_false_positive_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("100.00"))],
        help_text="Estimated share of calls classified as machines that were persons (UK formula)",
    )
    record_retention_days = models.PositiveIntegerField(
        default=1827, db_default=1827, validators=[MinValueValidator(1), MaxValueValidator(36_525)],
        help_text="How long call records are kept (US TSR since 2024: 5 years)",
    )

    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # Downloading targets and attempts is a right of its own (campaigns/access.py).
        permissions = [("export_campaign_data",
                        "Can download exports of targets, attempts and agent statistics")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The campaign's live dashboard (the admin's "View on site" link)."""
        return reverse("dashboard:campaign", args=[self.pk])

    # --- Rules (STYLE rule 3): pure functions of the row and a clock passed in -------------

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The campaign's own time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def runs_on(self, weekday: int) -> bool:
        """Whether the weekday (0 = Monday) is set in the weekdays bit mask."""
        return bool(self.weekdays >> weekday & 1)

    def is_in_window(self, now: dt.datetime, tz: str | None = None) -> bool:
        """Whether calls may be placed at `now`, judged in `tz` (a target's zone) or the campaign's.

        The daily window is wall-clock time in that zone, so it follows DST: on a spring-forward
        day a window inside the skipped hour never opens, on a fall-back day a window inside the
        repeated hour is open twice. An end before the start means the window crosses midnight,
        and then the weekday that counts is the day the window started. A start equal to the end
        means all day. Start and end dates are absolute instants: [starts_at, ends_at).
        """
        if self.starts_at and now < self.starts_at:
            return False
        if self.ends_at and now >= self.ends_at:
            return False
        local = now.astimezone(zoneinfo.ZoneInfo(tz) if tz else self.zone)
        clock, weekday = local.time().replace(tzinfo=None), local.weekday()
        start, end = self.daily_start, self.daily_end
        if start == end:
            return self.runs_on(weekday)
        if start < end:
            return start <= clock < end and self.runs_on(weekday)
        if clock >= start:
            return self.runs_on(weekday)
        return clock < end and self.runs_on((weekday - 1) % 7)

    def next_window_start(self, now: dt.datetime, tz: str | None = None) -> dt.datetime | None:
        """The first instant at or after `now` inside the window, or None if there is none."""
        probe = max(now, self.starts_at) if self.starts_at else now
        if self.ends_at and probe >= self.ends_at:
            return None
        if self.is_in_window(probe, tz):
            return probe
        zone = zoneinfo.ZoneInfo(tz) if tz else self.zone
        today = probe.astimezone(zone).date()
        for offset in range(8):
            day = today + dt.timedelta(days=offset)
            # A start inside a spring-forward gap resolves to the instant just after the gap.
            opening = dt.datetime.combine(day, self.daily_start, tzinfo=zone).astimezone(dt.UTC)
            if opening > probe and self.is_in_window(opening, tz):
                return opening
        return None

    def dtmf_for(self, extension: str) -> str:
        """The DTMF string to send for a target's extension ("" when it has none).

        Tone length becomes `@<ms>`, the extra pause `w`/`W` steps between tones; the settle
        delay after answer is the dispatcher's to apply. The result passes the DTMF grammar.
        """
        if not extension:
            return ""
        return dialstring.render_dtmf(
            extension,
            duration_ms=self.dtmf_duration_ms,
            pause_ms=self.dtmf_pause_ms,
            comma_ms=self.dtmf_comma_pause_ms,
        )

    def dial_problems(self, now: dt.datetime) -> list[str]:
        """Why the schedule can never open from `now` on ([] when it can); rows not read."""
        problems = []
        if not self.weekdays & 0b1111111:
            problems.append("no weekday is ticked, so the daily window never opens")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            problems.append("its end date is not after its start date")
        elif self.ends_at and self.ends_at <= now:
            problems.append("its end date has passed")
        elif not problems and self.next_window_start(now) is None:
            problems.append("its daily window never opens before its end date")
        return problems

    def abandon_retry_seconds(self) -> int:
        """Delay before an abandoned callee is called again: in UK mode at least 72 hours (Ofcom:
        no repeat call to an abandoned number within 72 hours unless an agent is guaranteed)."""
        if self.abandon_formula == AbandonFormula.UK_24H:
            return max(self.retry_abandoned_seconds, UK_NO_REDIAL_SECONDS)
        return self.retry_abandoned_seconds

    def pacing_errors(self) -> dict[str, list[str]]:
        """Why the pacing settings cannot work together ({} when they can)."""
        late = CampaignMode.AGENT_AT_HELLO
        if self.dial_mode in (DialMode.PREDICTIVE, DialMode.RATIO) and self.mode != late:
            return {"dial_mode": [f"{DialMode(self.dial_mode).label.split(' (')[0]} dialling "
                                  f"needs the {late.value} connect mode: no agent may be "
                                  "reserved before a person answers."]}
        return {}

    def clean(self) -> None:
        """Check the values that reach ESL or the schedule against their grammars."""
        from campaigns.validators import grammar_validator, validate_region, validate_time_zone

        errors: dict[str, list[str]] = {}
        if self.caller_id_number:
            try:  # stored normalised: "+1 415 555 9999" becomes "+14155559999"
                self.caller_id_number = dialstring.normalize_caller_id_number(
                    self.caller_id_number
                )
            except dialstring.DialstringError as exc:
                errors["caller_id_number"] = [str(exc)]
        checks = [
            ("caller_id_name", grammar_validator(dialstring.validate_caller_id_name)),
            ("timezone", validate_time_zone),
            ("default_region", validate_region),
            ("abandon_message", grammar_validator(dialstring.validate_prompt)),
            ("voicemail_message", grammar_validator(dialstring.validate_prompt)),
        ]
        for field, check in checks:
            try:
                check(getattr(self, field))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append("Must be later than the start date.")
        for field, messages in self.pacing_errors().items():
            errors.setdefault(field, []).extend(messages)
        if self.mode == CampaignMode.AGENT_FIRST and self.connect_plan != ConnectPlan.BLIND:
            errors.setdefault("connect_plan", []).append(
                "agent_first sends the digits from the agent's leg: only 'blind' is possible.")
        if errors:
            raise ValidationError(errors)


class CampaignEvent(models.Model):
    """Audit trail of status transitions: who moved the campaign, from what, to what, and why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=16, choices=CampaignStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    action = models.CharField(
        max_length=16, blank=True, help_text="start, pause, recycle, ...; blank on old rows"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        before, after = CampaignStatus(self.from_status).label, CampaignStatus(self.to_status).label
        moved = before if before == after else f"{before} to {after}"
        by = f" by {self.actor}" if self.actor_id else ""
        why = f": {self.reason}" if self.reason else ""
        what = self.action.capitalize() if self.action else "Status change"
        return f"{what} ({moved}){by}{why}"
