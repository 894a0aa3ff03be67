"""The campaigns side queues a large import through a port the workers app registers (it may not
import workers), as the floor's hang-up control does; without it, queueing fails loudly."""

from __future__ import annotations

import pytest

from campaigns.services import controls
from workers.celery import IMPORT_TARGETS, app
from workers.tasks.imports import import_targets_job


def test_the_workers_app_publishes_an_import_to_the_task_that_runs_it(monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args: sent.append((name, args)))

    controls.request_import(42)

    assert sent == [("switchboard.import_targets", [42])]
    assert IMPORT_TARGETS == import_targets_job.name == "switchboard.import_targets"


def test_without_a_registered_publisher_queueing_an_import_fails_loudly(monkeypatch):
    monkeypatch.setattr(controls, "_import", None)

    with pytest.raises(controls.ControlUnavailable, match="no import publisher"):
        controls.request_import(42)
