"""Install the beat schedule (workers.celery.BEAT_SCHEDULE) into django-celery-beat's tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from workers.celery import BEAT_SCHEDULE, TICK


def install_schedules() -> list[PeriodicTask]:
    """Create or update one PeriodicTask per BEAT_SCHEDULE entry (idempotent)."""
    installed = []
    with transaction.atomic():
        for name, (task, every, expires) in BEAT_SCHEDULE.items():
            if task == TICK:  # the tick's period is a setting (whole seconds in an interval)
                every = max(1, round(settings.CELERY_TICK_SECONDS))
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=every, period=IntervalSchedule.SECONDS
            )
            periodic, _ = PeriodicTask.objects.update_or_create(
                name=f"switchboard: {name}",
                defaults={"task": task, "interval": interval, "expire_seconds": expires,
                          "enabled": True, "one_off": False},
            )
            installed.append(periodic)
    return installed


class Command(BaseCommand):
    help = "Install Switchboard's periodic tasks (the 1-second dispatch tick, the reapers)."

    def handle(self, *args: Any, **options: Any) -> None:
        for periodic in install_schedules():
            self.stdout.write(f"{periodic.name}: {periodic.task} every {periodic.interval}")
