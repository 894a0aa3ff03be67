"""URL map: admin, REST API, schema."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from campaigns.api.permissions import IsSupervisorOrReadOnly
from switchboard.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    # The admin's "View site" link points at "/": send supervisors to the live dashboard.
    path("", RedirectView.as_view(pattern_name="dashboard:system"), name="home"),
    path("dashboard/", include("campaigns.dashboard.urls")),
    path("agent/", include("campaigns.agentdesk.urls")),
    path("healthz", healthz, name="healthz"),
    path("cdr/", include("campaigns.cdr.urls")),
    # Like the API itself, its schema and docs are for signed-in users (never agent logins).
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsSupervisorOrReadOnly]),
        name="schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", permission_classes=[IsSupervisorOrReadOnly]
        ),
        name="swagger-ui",
    ),
    path("api/", include("campaigns.api.urls")),
]
