"""Dashboard URLs, mounted at /dashboard/ by switchboard/urls.py."""

from django.urls import path

from campaigns.dashboard import compliance_views, floor_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.system_page, name="system"),
    path("campaigns/<id:campaign_id>/", views.campaign_page, name="campaign"),
    path("campaigns/<id:campaign_id>/compliance/", compliance_views.compliance_page,
         name="campaign-compliance"),
    path(
        "campaigns/<id:campaign_id>/<str:verb>/",
        views.campaign_control,
        name="campaign-control",
    ),
    path(
        "campaigns/<id:campaign_id>/export/<str:kind>.<str:fmt>",
        views.campaign_export,
        name="campaign-export",
    ),
    path("data/system.json", views.system_data, name="system-data"),
    path("data/campaigns/<id:campaign_id>.json", views.campaign_data, name="campaign-data"),
    path("floor/", floor_views.floor_page, name="floor"),
    path("data/floor.json", floor_views.floor_data, name="floor-data"),
    path("data/campaigns/<id:campaign_id>/floor.json", floor_views.campaign_floor_data,
         name="campaign-floor-data"),
    path("data/history.json", floor_views.history_data, name="history-data"),
    path("agents/<id:agent_id>/intent/", floor_views.agent_intent, name="agent-intent"),
    path("calls/<str:call_uuid>/hangup/", floor_views.hangup, name="hangup"),
    path("agents/stats/", floor_views.agent_stats_page, name="agent-stats"),
]
