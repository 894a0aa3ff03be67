from __future__ import annotations

import pytest

from tests.cdr.posts import PASSWORD, USER


@pytest.fixture
def cdr_config(settings, redis_url, key_prefix):
    """The endpoint configured with the captures' credentials, Redis under this test's prefix."""
    settings.CDR_USERNAME = USER
    settings.CDR_PASSWORD = PASSWORD
    settings.REDIS_URL = redis_url
    settings.REDIS_KEY_PREFIX = key_prefix
    return settings


@pytest.fixture
def cdr_settings(transactional_db, cdr_config):
    """As cdr_config, with committed rows (the after-commit release runs, as in production)."""
    return cdr_config
