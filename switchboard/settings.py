"""Switchboard settings: every value comes from the environment (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from switchboard.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_proxy_header,
    env_secret,
    env_str,
    refuse_placeholder,
)
from telephony.config import parse_node_list, parse_proxy_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", "insecure-dev-key-change-me" if DEBUG else None)
if not DEBUG:
    refuse_placeholder("DJANGO_SECRET_KEY", SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- Behind a TLS-terminating proxy (README "Production behind TLS") ---------------------
# Off by default so plain-HTTP development and the demo work; production sets them all.
# "X-Forwarded-Proto: https": trust this header from the proxy (and only a proxy that sets it).
SECURE_PROXY_SSL_HEADER = env_proxy_header("DJANGO_SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Load balancers and the compose healthcheck probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "campaigns",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "switchboard.urls"
WSGI_APPLICATION = "switchboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default; production sets DATABASE_URL=postgres://...
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'switchboard.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        # A persistent connection that died (PostgreSQL restarted, a proxy cut it) is checked
        # and replaced at the start of the next request instead of failing it with a 500.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if not DEBUG:
    refuse_placeholder("DATABASE_URL", env_str("DATABASE_URL", ""))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, listener, consumer) write the embedded database: WAL lets
    # readers run beside the writer, and IMMEDIATE transactions queue for the write lock (up to
    # the timeout) instead of failing with "database is locked" when a read upgrades to a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Parallel test runs on one machine (and helpers) each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_switchboard")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
LOGIN_URL = "/admin/login/"
# Signing in at /admin/login/ without ?next= lands on the admin index, not /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"

# --- Redis: presence, token buckets, live-call sets, the event stream -------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# Every key Switchboard writes starts with this, so several deployments (or test runs)
# can share one Redis.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "sb")

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Prepended to every broker key on a Redis broker (kombu's global_keyprefix), so several
# deployments, or parallel test workers, share one Redis database without sharing queues.
# (Not CELERY_-named here: Celery reads every CELERY_ setting as one of its own.)
BROKER_KEY_PREFIX = env_str("CELERY_BROKER_KEY_PREFIX", "")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TICK_SECONDS = env_float("CELERY_TICK_SECONDS", 1.0)
# The tick's dial batches: targets per dial_batch task, and how long a claimed target may sit
# queued (its task lost) before the reaper hands it back to pending without counting an attempt.
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 20, minimum=1)
DISPATCH_QUEUED_TIMEOUT_SECONDS = env_int("DISPATCH_QUEUED_TIMEOUT_SECONDS", 180, minimum=10)

# --- FreeSWITCH ------------------------------------------------------------------------
# FREESWITCH_NODES="fs1=10.0.0.5:8021,fs2=10.0.0.6:8021"; the ESL password comes from
# FREESWITCH_PASSWORD (or FREESWITCH_PASSWORD_FILE), per node from FREESWITCH_PASSWORD_<NAME>.
# FreeSWITCH's well-known default password "ClueCon" is assumed only with DJANGO_DEBUG=true
# (development against the emulator); elsewhere a node listed here without a password stops the
# process at start-up, and a placeholder of .env.example is refused like any other.
_ESL_PASSWORD = env_secret("FREESWITCH_PASSWORD", "") or ("ClueCon" if DEBUG else "")
FREESWITCH_NODES = parse_node_list(
    env_str("FREESWITCH_NODES", ""),
    default_password=_ESL_PASSWORD,
    password_for=lambda name: env_secret(f"FREESWITCH_PASSWORD_{name.upper()}", "") or None,
)
for _node in FREESWITCH_NODES:
    if not _node.password:
        raise ImproperlyConfiguredEnv(
            f"FREESWITCH_PASSWORD (or FREESWITCH_PASSWORD_{_node.name.upper()}) is required for "
            f"node {_node.name}: FreeSWITCH's default ClueCon is assumed only with "
            "DJANGO_DEBUG=true"
        )
    if not DEBUG:
        refuse_placeholder(f"The ESL password of node {_node.name}", _node.password)
FREESWITCH_SIP_PROFILE = env_str("FREESWITCH_SIP_PROFILE", "internal")

# --- SIP edge (docs/sip-edge.md) -----------------------------------------------------------
# SIP_PROXIES="kam1=10.0.0.2:5060:8448:8449": Kamailio proxies (name=host:sip:evapi:rpc) where
# agents register; the listener follows each one's evapi feed, and agent legs go through them.
_PROXY_RPC_PASSWORD = env_secret("SIP_PROXY_RPC_PASSWORD", "")
SIP_PROXIES = parse_proxy_list(
    env_str("SIP_PROXIES", ""),
    domain=env_str("SIP_PROXY_DOMAIN", "agents.sb.test"),
    transport=env_str("SIP_PROXY_TRANSPORT", "udp"),
    password_for=lambda name: (env_secret(f"SIP_PROXY_RPC_PASSWORD_{name.upper()}", "")
                               or _PROXY_RPC_PASSWORD or None),
)
SIP_PROXY_PING_SECONDS = env_float("SIP_PROXY_PING_SECONDS", 2.0)
ESL_CONNECT_TIMEOUT = env_float("ESL_CONNECT_TIMEOUT", 3.0)
ESL_COMMAND_TIMEOUT = env_float("ESL_COMMAND_TIMEOUT", 5.0)

# Patched mod_sofia raises a CUSTOM event on a TCP transport error carrying only ip:port.
# CDR endpoint (/cdr/json, /cdr/xml): the `cred` of json_cdr.conf.xml / xml_cdr.conf.xml. No
# password, no endpoint (503: FreeSWITCH keeps the CDRs in its err-log-dir).
CDR_USERNAME = env_str("CDR_USERNAME", "switchboard")
CDR_PASSWORD = env_secret("CDR_PASSWORD", "")
# Where the sweeper (`manage.py sweep_cdrs`, beat) finds FreeSWITCH's err-log-dirs: one or more
# directories, each holding json_cdr/ and/or xml_cdr/ (empty: the sweeper has nothing to do).
CDR_ERR_LOG_DIRS = env_list("CDR_ERR_LOG_DIRS", "")

# /healthz and the dashboard call the results pipeline degraded past this many unread events.
HEALTH_MAX_BACKLOG = env_int("HEALTH_MAX_BACKLOG", 1000, minimum=1)

PRESENCE_TCP_DROP_SUBCLASS = env_str("PRESENCE_TCP_DROP_SUBCLASS", "sofia::transport_error")
PRESENCE_TCP_DROP_IP_HEADER = env_str("PRESENCE_TCP_DROP_IP_HEADER", "network-ip")
PRESENCE_TCP_DROP_PORT_HEADER = env_str("PRESENCE_TCP_DROP_PORT_HEADER", "network-port")
PRESENCE_NODE_GRACE_SECONDS = env_float("PRESENCE_NODE_GRACE_SECONDS", 45.0)
PRESENCE_RECONCILE_SECONDS = env_float("PRESENCE_RECONCILE_SECONDS", 60.0)
# After a node restart, flush (sofia profile <p> flush_inbound_reg <call-id>) each TCP/TLS
# registration it still lists from its previous run that has not registered again: off by default.
PRESENCE_FLUSH_STALE_AFTER_RESTART = env_bool("PRESENCE_FLUSH_STALE_AFTER_RESTART", False)
PRESENCE_LEASE_SECONDS = env_int("PRESENCE_LEASE_SECONDS", 120, minimum=1)

# --- Target imports (README "Limits") ----------------------------------------------------
# Largest uploaded file; rows per file; a workbook's XML once expanded (the zip-bomb bound);
# files above IMPORT_ASYNC_BYTES are imported by a Celery task with a progress record; entries
# of each kind shown in a report (the full report is a CSV download).
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 500_000, minimum=1)
IMPORT_MAX_SHEET_BYTES = env_int("IMPORT_MAX_SHEET_BYTES", 100 * 1024 * 1024, minimum=1024)
IMPORT_ASYNC_BYTES = env_int("IMPORT_ASYNC_BYTES", 2 * 1024 * 1024, minimum=0)
IMPORT_REPORT_ENTRIES = env_int("IMPORT_REPORT_ENTRIES", 100, minimum=1)

# --- REST API --------------------------------------------------------------------------
# Largest request body (JSON, forms) in bytes: 10,000 bulk rows of up to 2 KB each. Uploaded
# files are bounded separately (IMPORT_MAX_UPLOAD_BYTES). The API answers a JSON 413 naming it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("API_MAX_BODY_BYTES", 20 * 1024 * 1024, minimum=1024)
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "campaigns.api.exceptions.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "30/minute"),
        "user": env_str("API_THROTTLE_USER", "6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": "Outbound call campaigns over a FreeSWITCH cluster.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "campaigns.api.schema_hooks.local_times_without_offset",
    ],
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_KEY_PREFIX}:cache",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Admin (django-unfold) --------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Switchboard",
    "SITE_HEADER": "Switchboard",
    # The menu under the site title: where supervisors watch what the admin sets up.
    "SITE_DROPDOWN": [
        {"icon": "monitoring", "title": "Live dashboard", "link": "/dashboard/"},
        {"icon": "api", "title": "API documentation", "link": "/api/docs/"},
        {"icon": "health_and_safety", "title": "Health check", "link": "/healthz"},
    ],
    # The admin index leads with the live campaigns and the dashboard link.
    "DASHBOARD_CALLBACK": "campaigns.admin.campaigns.index_context",
}
