"""Dashboard URLs, mounted at /dashboard/ by switchboard/urls.py."""

from django.urls import path

from campaigns.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.system_page, name="system"),
    path("campaigns/<int:campaign_id>/", views.campaign_page, name="campaign"),
    path(
        "campaigns/<int:campaign_id>/<str:verb>/",
        views.campaign_control,
        name="campaign-control",
    ),
    path(
        "campaigns/<int:campaign_id>/export/<str:kind>.<str:fmt>",
        views.campaign_export,
        name="campaign-export",
    ),
    path("data/system.json", views.system_data, name="system-data"),
    path("data/campaigns/<int:campaign_id>.json", views.campaign_data, name="campaign-data"),
]
