"""Dashboard URLs, mounted at /dashboard/ by switchboard/urls.py."""

from django.urls import path

from campaigns.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.system_page, name="system"),
    path("campaigns/<int:campaign_id>/", views.campaign_page, name="campaign"),
    path("data/system.json", views.system_data, name="system-data"),
    path("data/campaigns/<int:campaign_id>.json", views.campaign_data, name="campaign-data"),
]
