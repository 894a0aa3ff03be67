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


def _superusers_only(request) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


# Celery beat's tables (periodic tasks, intervals, crontabs, ...) are the scheduler's internals,
# installed by `manage.py setup_schedules`: no supervisor's business, so only a superuser sees
# them in the menu or may open them, whatever permissions a group was given.
for _model, _model_admin in list(admin.site._registry.items()):
    if _model._meta.app_label == "django_celery_beat":
        _model_admin.has_module_permission = _superusers_only
        for _check in ("has_view_permission", "has_change_permission", "has_add_permission",
                       "has_delete_permission"):
            setattr(_model_admin, _check, lambda request, obj=None: _superusers_only(request))
