"""Django admin (django-unfold): one module per aggregate, registered with admin.site."""

from campaigns.admin import campaigns, cdr, infrastructure, targets  # noqa: F401 - registers models
