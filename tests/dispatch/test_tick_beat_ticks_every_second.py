"""A real beat process, driven by django-celery-beat's DatabaseScheduler, ticks every second."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_sends_the_tick_every_second_and_a_worker_runs_it(
        celery_worker_factory, celery_beat_factory, redis_client, key_prefix):
    out = io.StringIO()
    call_command("setup_schedules", stdout=out)
    assert "switchboard.tick every" in out.getvalue()
    tick = PeriodicTask.objects.get(task="switchboard.tick")
    assert (tick.interval.every, tick.interval.period) == (1, "seconds")

    celery_worker_factory(queues=("tick",), concurrency=1)
    beat = celery_beat_factory()

    ticks: list[float] = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and len(ticks) < 4:
        ticks = sorted(float(t) for t in redis_client.lrange(f"{key_prefix}:dispatch:ticks", 0, -1))
        time.sleep(0.2)

    assert len(ticks) >= 4, beat.log()[-3000:]
    # Every tick recorded is a separate run (timing is not asserted on a shared machine).
    assert len(set(ticks)) == len(ticks)
    log = beat.log()
    assert "DatabaseScheduler" in log
    assert log.count("Sending due task switchboard: dispatch tick (switchboard.tick)") >= 4
