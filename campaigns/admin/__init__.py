"""Django admin (django-unfold): one module per aggregate, registered with admin.site."""

from django.contrib import admin

from campaigns.admin import campaigns, infrastructure, targets  # noqa: F401 - registers models

# The index leads with the live campaigns and the dashboard (context: UNFOLD DASHBOARD_CALLBACK).
admin.site.index_template = "admin/switchboard_index.html"
