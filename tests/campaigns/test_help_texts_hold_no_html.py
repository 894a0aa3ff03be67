"""The admin renders help text as HTML: no help text may hold a `<`, which would be eaten."""

from __future__ import annotations

from django.apps import apps


def test_no_help_text_holds_an_angle_bracket():
    bad = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("campaigns").get_models()
        for field in model._meta.get_fields()
        if "<" in str(getattr(field, "help_text", "") or "")
    ]
    assert bad == []
