"""Settings, read from the environment (see .env.example and docs/configuration.md).

Defaults are the embedded ones `make run` uses: SQLite and a filesystem broker under
STATUSPAGE_VAR_DIR, so a laptop needs no server. DATABASE_URL and REDIS_URL /
CELERY_BROKER_URL move the same code onto PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from statuspage.env import envbool, envfloat, envint, envlist, envnetworks, envproxies, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("STATUSPAGE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)


def _secret_key() -> str:
    key = envsecret("SECRET_KEY")
    if key:
        return key
    # Laptop convenience: a random key kept in the var dir (never in the repository).
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "statuspage.admin_site.ConsoleAdminConfig",  # Django's admin with a throttled sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "statuspage",
    "probes",
]

MIDDLEWARE = [
    # Before anything reads a body: refuses it from its headers (statuspage.request_limits).
    "statuspage.request_limits.RequestLimitsMiddleware",
    # First: a public GET with a rendered snapshot is answered before anything else runs.
    "statuspage.public.door.SnapshotMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "statuspage.i18n.ReaderLocaleMiddleware",  # LocaleMiddleware, with Uzbek in Latin script first
    "statuspage.i18n.LanguageSwitchMiddleware",
    "django.middleware.common.CommonMiddleware",
    "statuspage.middleware.PublicCacheHeadersMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (a signed-in user owns keys too); claims a key before the view runs.
    "statuspage.api.idempotency.IdempotencyKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "statuspage.middleware.AdminTimeZoneMiddleware",  # the console in the page's zone, not UTC
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "statuspage.urls"
WSGI_APPLICATION = "statuspage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "statuspage.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=envint("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat write to one file: WAL lets readers run beside a writer,
        # IMMEDIATE takes the write lock up front so transactions queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so that worker processes started by tests see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "statuspage"),
            # The public page must survive a Redis blip: a cache miss, not a 500.
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    # Shared between gunicorn workers, Celery and beat on one host, with no server.
    CACHES = {
        "default": {
            # Django's file cache, swept by expiry (statuspage.cache): rendered public
            # responses are one entry per URL and language.
            "BACKEND": "statuspage.cache.LocalFileCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.1,
    }
    # kombu's filesystem transport with atomic writes (statuspage.broker explains why).
    CELERY_BROKER_TRANSPORT = "statuspage.broker:Transport"
else:
    # Redis redelivers a message whose worker died unacknowledged after this long (s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Queues (docs/scaling.md). "celery" keeps only the probe dispatcher tick and short upkeep
# (maintenances, probe roll-ups), so the worker of it and "probes.<region>" is never busy with
# renders (up to a minute each under load) or webhook fan-outs; those have their own
# queues and their own worker (scripts/run.sh).
RENDER_QUEUE = "render"
WEBHOOK_QUEUE = "webhooks"
CELERY_TASK_ROUTES = {
    "statuspage.public.render_tasks.*": {"queue": RENDER_QUEUE},
    "statuspage.delivery_tasks.fan_out_event": {"queue": WEBHOOK_QUEUE},
    "statuspage.delivery_tasks.deliver_batch": {"queue": WEBHOOK_QUEUE},
    "statuspage.delivery_tasks.sweep_outbox": {"queue": WEBHOOK_QUEUE},
    "statuspage.delivery_tasks.send_oncall_alert": {"queue": WEBHOOK_QUEUE},
    "statuspage.tasks.purge_unconfirmed_subscriptions": {"queue": WEBHOOK_QUEUE},  # subscriber upkeep
    "statuspage.tasks.send_maintenance_reminders": {"queue": WEBHOOK_QUEUE},  # subscriber mail, off the probes
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "advance-maintenances": {"task": "statuspage.tasks.advance_maintenances", "schedule": 10.0},
    "maintenance-reminders": {"task": "statuspage.tasks.send_maintenance_reminders", "schedule": 60.0},
    # Time alone changes the page (today's uptime, a new day): re-render when it did.
    "refresh-public": {"task": "statuspage.public.render_tasks.refresh_public", "schedule": 60.0},
    "sweep-outbox": {"task": "statuspage.delivery_tasks.sweep_outbox", "schedule": 15.0},
    "purge-unconfirmed": {"task": "statuspage.tasks.purge_unconfirmed_subscriptions", "schedule": 3600.0},
    # One tick dispatches every due probe (probes.scheduler); no per-probe entries. A run due
    # just after a tick waits a whole period: 1 s made the latest runs 1.1 s late
    # (bench/probe_worker.py), 0.25 s keeps every run within 0.4 s of its time.
    "dispatch-probes": {"task": "probes.tasks.dispatch_due_probes", "schedule": envfloat("PROBE_DISPATCH_S", 0.25)},
    "rollup-probes": {"task": "probes.tasks.rollup_probe_days", "schedule": 300.0},
    "prune-probes": {"task": "probes.tasks.prune_probe_history", "schedule": 3600.0},
    # Time alone moves a probe's incident: monitoring → resolved, a review draft → published.
    "advance-probe-incidents": {"task": "probes.tasks.advance_probe_incidents", "schedule": 10.0},
}
CELERY_TIMEZONE = "UTC"
# Celery's scheduler without its busy wait (statuspage.beat), whose ticks write a heartbeat
# (probes.freshness reports a beat that stopped).
CELERY_BEAT_SCHEDULER = "probes.beat:HeartbeatScheduler"

# --- Auth and API -----------------------------------------------------------
API_TOKEN_TTL_DAYS = envint("API_TOKEN_TTL_DAYS", 365)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "statuspage.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["statuspage.api.auth.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": ["statuspage.api.renderers.SafeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["statuspage.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "statuspage.api.schema.ManagementAutoSchema",
    "EXCEPTION_HANDLER": "statuspage.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Status page management API",
    "DESCRIPTION": "On-call API: incidents, updates, components, webhooks, probes and config.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components: a request's required fields and minimum
    # lengths are then in the schema (schemathesis checks both, tests/test_api_fuzz.py).
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/v2/* are plain Django views: documented by a hook, before the enums are named.
    "POSTPROCESSING_HOOKS": ["statuspage.api.schema.add_public_v2", "drf_spectacular.hooks.postprocess_schema_enums"],
    "ENUM_NAME_OVERRIDES": {
        "ComponentStatusEnum": "statuspage.statuses.ComponentStatus",
        "IncidentOrMaintenanceStatusEnum": "statuspage.statuses.ALL_INCIDENT_STATUSES",
        "ImpactEnum": "statuspage.api.types.IMPACT_CHOICES",
        "IndicatorEnum": "statuspage.api.types.INDICATOR_CHOICES",
    },
}
LOGIN_URL = "/admin/login/"
# Failed sign-ins to the console (statuspage.login_throttle): past a limit, 429 for the window.
LOGIN_THROTTLE_WINDOW_S = envint("LOGIN_THROTTLE_WINDOW_S", 900)
LOGIN_FAILURES_PER_USER_IP = envint("LOGIN_FAILURES_PER_USER_IP", 5)
LOGIN_FAILURES_PER_IP = envint("LOGIN_FAILURES_PER_IP", 30)
LOGIN_FAILURES_PER_USER = envint("LOGIN_FAILURES_PER_USER", 50)
CLIENT_IP_HEADER = envstr("CLIENT_IP_HEADER")  # e.g. HTTP_X_REAL_IP, set by the reverse proxy
# The proxies in front: a count, or their CIDRs (statuspage.client_address); empty: none.
TRUSTED_PROXIES = envproxies("TRUSTED_PROXIES")

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("uk", "Українська"),
    # Each script named in itself: the reader picks the one they can read.
    ("uz", "Ўзбекча (кирилл)"),
    ("uz-latn", "Oʻzbekcha (lotin)"),
    ("ru", "Русский"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats and month names per language (Django's Uzbek is Latin script only).
FORMAT_MODULE_PATH = ["statuspage.formats"]
LANGUAGE_COOKIE_NAME = "lang"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, precompressed names once collectstatic has run (make run); plain names before (tests).
    "staticfiles": {
        "BACKEND": "statuspage.storage.StaticStorage"
        if (STATIC_ROOT / "staticfiles.json").exists()
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security headers -------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
# Bodies are capped by their Content-Length before they are read (statuspage.request_limits):
# the signed-in APIs and admin at REQUEST_MAX_BYTES, the anonymous forms at PUBLIC_FORM_MAX_BYTES.
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
# /verify's pasted message (VERIFY_MAX_TEXT characters) percent-encoded: 6 bytes a Cyrillic
# letter, 12 an emoji, so 32 KiB.
PUBLIC_FORM_MAX_BYTES = envint("PUBLIC_FORM_MAX_BYTES", 32 * 1024)
# No view takes a file: one is refused, never spooled to disk.
FILE_UPLOAD_HANDLERS = ["statuspage.request_limits.RefuseFilesHandler"]

# --- Product ----------------------------------------------------------------
PUBLIC_CACHE_MAX_AGE = envint("PUBLIC_CACHE_MAX_AGE", 10)
PUBLIC_CACHE_STALE_WHILE_REVALIDATE = envint("PUBLIC_CACHE_STALE_WHILE_REVALIDATE", 30)
# Render on write (statuspage.public.render, statuspage.public.door). PUBLIC_SNAPSHOTS=0 is the
# naive path (every request runs its view), kept for benchmarks and for debugging.
PUBLIC_SNAPSHOTS = envbool("PUBLIC_SNAPSHOTS", True)
PUBLIC_RENDER_ON_WRITE = envbool("PUBLIC_RENDER_ON_WRITE", True)
PUBLIC_SNAPSHOT_TTL = envint("PUBLIC_SNAPSHOT_TTL", 3600)  # frees old versions; a quiet page re-renders hourly
PUBLIC_VERSION_CHECK_S = envfloat("PUBLIC_VERSION_CHECK_S", 0.0)  # >0: Redis GETs at most this often
PUBLIC_BROTLI_QUALITY = envint("PUBLIC_BROTLI_QUALITY", 9)  # 11 is 5% smaller, 15x slower
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "http://localhost")  # when the page sets no url
PUBLIC_EXPORT_DIR = envstr("PUBLIC_EXPORT_DIR")  # also write rendered files here, for nginx/CDN
WEBHOOK_ALLOWED_NETWORKS = envnetworks("WEBHOOK_ALLOWED_NETWORKS", "")
# Subscribers' whsec_ secrets are derived from this key; rotating it rotates them all.
WEBHOOK_SECRET_KEY = envsecret("WEBHOOK_SECRET_KEY") or SECRET_KEY
WEBHOOK_LEASE_S = envint("WEBHOOK_LEASE_S", 300)
WEBHOOK_DISABLE_AFTER_DAYS = envint("WEBHOOK_DISABLE_AFTER_DAYS", 3)
WEBHOOK_CONCURRENCY = envint("WEBHOOK_CONCURRENCY", 256)
WEBHOOK_BATCH = envint("WEBHOOK_BATCH", 2000)
METRICS_ALLOWED_NETWORKS = envnetworks("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
PROBE_CONCURRENCY = envint("PROBE_CONCURRENCY", 32)
PROBE_BATCH_SIZE = envint("PROBE_BATCH_SIZE", 50)
PROBE_BATCH_EXPIRES_S = envint("PROBE_BATCH_EXPIRES_S", 60)
PROBE_REOPEN_WINDOW_S = envint("PROBE_REOPEN_WINDOW_S", 30 * 60)
# `{next_update}` in a probe's public texts: this long after the text is posted.
PROBE_NEXT_UPDATE_S = envint("PROBE_NEXT_UPDATE_S", 30 * 60)
PROBE_RETENTION_DAYS = envint("PROBE_RETENTION_DAYS", 7)
PROBE_ROLLUP_DAYS = envint("PROBE_ROLLUP_DAYS", 400)
# The worker variables `{{ env.NAME }}` may read (none by default). Naming one of the service's
# own settings stops every process at start (statuspage.apps, once all settings are read).
PROBE_ENV_ALLOW = envlist("PROBE_ENV_ALLOW", [])
# Probe targets pass the webhooks' SSRF guard: private, loopback and metadata addresses only if listed.
PROBE_ALLOWED_NETWORKS = envnetworks("PROBE_ALLOWED_NETWORKS", "")
# Monitoring that knows when it is blind (probes.freshness, probes.watchdog): beat and the
# dispatcher are stale past this many seconds of silence; a probe past two intervals plus
# up to this. The watchdog looks every WATCHDOG_EVERY_S, from WATCHDOG_STARTUP_GRACE_S after it starts.
HEARTBEAT_STALE_S = envfloat("HEARTBEAT_STALE_S", 10.0)
WATCHDOG_EVERY_S = envfloat("WATCHDOG_EVERY_S", 1.0)
WATCHDOG_STARTUP_GRACE_S = envfloat("WATCHDOG_STARTUP_GRACE_S", 30.0)
# Metrics from web and worker processes are merged through this folder.
PROMETHEUS_MULTIPROC_DIR = Path(envstr("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics")))
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(PROMETHEUS_MULTIPROC_DIR))
DEMO_TARGET_URL = envstr("DEMO_TARGET_URL", f"http://127.0.0.1:{envint('DEMO_TARGET_PORT', 8001)}")
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # implicit TLS, usually port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:  # Django would refuse only at the first send
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one")
# Django's default is no timeout: a mail server that stops answering would hold a batch past its lease.
EMAIL_TIMEOUT = envfloat("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "status@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # httpx logs every request's full URL at INFO: a probe's URL may carry a secret
    # ({{ env.NAME }} in a query string), and webhook URLs carry their own tokens.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# /verify (statuspage.verification): lookups from one client address per window. The
# signing key is read by statuspage.verification.keys (SIGNING_KEY, SIGNING_RETIRED_KEYS).
VERIFY_LIMIT = envint("VERIFY_LIMIT", 30)
VERIFY_WINDOW_S = envint("VERIFY_WINDOW_S", 600)
VERIFY_MAX_TEXT = 4000  # characters of a pasted message that are read
