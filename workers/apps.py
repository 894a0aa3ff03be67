from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """The Celery side as a Django app: it owns the long-running commands (listen, consume_events,
    setup_schedules), so the arrow runs workers -> campaigns as DESIGN.md draws it."""

    name = "workers"
    verbose_name = "Workers"
    default_auto_field = "django.db.models.BigAutoField"
