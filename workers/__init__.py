"""Celery side of Switchboard: the app, its queues and routes, thin tasks, the listener."""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
