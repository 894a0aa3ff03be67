"""Django admin (django-unfold): one module per aggregate, registered with admin.site."""

from campaigns.admin import (  # noqa: F401 - registers models
    campaigns,
    cdr,
    floor,
    imports,
    infrastructure,
    targets,
)
