"""Celery beat's tables are the scheduler's internals: a supervisor never sees them in the admin's
menu nor opens them, even holding their permissions; a superuser does."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from tests.factories import make_superuser, make_supervisor


def test_a_supervisor_never_sees_celery_beat(client, db):
    supervisor = make_supervisor()
    supervisor.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="django_celery_beat"))
    client.force_login(supervisor)
    index = client.get("/admin/").content.decode()
    assert "/admin/django_celery_beat/" not in index
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client.get("/admin/campaigns/campaign/").status_code == 200


def test_a_superuser_does(client, db):
    client.force_login(make_superuser())
    assert "/admin/django_celery_beat/" in client.get("/admin/").content.decode()
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
