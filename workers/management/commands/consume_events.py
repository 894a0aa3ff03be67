"""`python manage.py consume_events`: run the results consumer (workers.results)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from workers.results import Consumer
from workers.wiring import redis_client, results

log = logging.getLogger("switchboard.results")


def _reconcile_soon(node: str) -> None:
    """A node (re)connected: reconcile its calls in a worker, never in this loop."""
    from workers.celery import app

    app.send_task("switchboard.reconcile_calls", kwargs={"node": node})


class Command(BaseCommand):
    help = "Apply FreeSWITCH call events from the listener's stream to attempts and targets."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default=None, help="Consumer name (default host-pid)")
        parser.add_argument("--batch", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = Consumer(
            redis_client(settings.REDIS_URL),
            settings.REDIS_KEY_PREFIX,
            results(),
            name=options["name"],
            batch=options["batch"],
            on_node_connected=_reconcile_soon,
        )
        log.info("results consumer %s started", consumer.name)
        consumer.run()
