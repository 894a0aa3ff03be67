from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import register_converter

        from campaigns.ids import IdConverter

        # `<id:...>` in URL patterns: ASCII digits within range, else a 404 (campaigns/ids.py).
        register_converter(IdConverter, "id")
