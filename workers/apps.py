from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """The Celery side as a Django app: it owns the long-running commands (listen, consume_events,
    setup_schedules), so the arrow runs workers -> campaigns as DESIGN.md draws it."""

    name = "workers"
    verbose_name = "Workers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Give the campaigns side its ways to publish work (it may not import us): floor
        controls and queued imports."""
        from campaigns.services import controls
        from workers.celery import HANGUP_CALL, IMPORT_TARGETS, app

        controls.register_hangup(
            lambda node, call_uuid, actor: app.send_task(HANGUP_CALL,
                                                         args=[node, call_uuid, actor]))
        controls.register_import(lambda job_id: app.send_task(IMPORT_TARGETS, args=[job_id]))
