"""Django admin (django-unfold): one module per aggregate, registered with admin.site."""

from django.contrib import admin

from campaigns.admin import (  # noqa: F401 - registers models
    campaigns,
    cdr,
    floor,
    imports,
    infrastructure,
    targets,
)

# The index leads with the live campaigns and the dashboard (context: UNFOLD DASHBOARD_CALLBACK).
admin.site.index_template = "admin/switchboard_index.html"
