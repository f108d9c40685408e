"""Django settings, read from the environment (and from a `.env` file when present).

A missing required value or an invalid one stops start-up with a single line that
names the variable (see config.env); values are never echoed.
"""

from pathlib import Path

import environ
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

from config import env as envvars
from config.sentry import after_init
from config.sentry.integration import DjangoIntegration  # the SDK's, see its docstring
from config.sentry.options import read_sentry_config
from config.sentry.privacy import DATA_COLLECTION
from config.sentry.transport import PriorityTransport

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    # Variables already in the environment win over the file.
    environ.Env.read_env(ENV_FILE, overwrite=False)

try:
    DEBUG = envvars.read_bool(env, "DJANGO_DEBUG", False)
    SECRET_KEY = envvars.read_str(env, "DJANGO_SECRET_KEY")
    if SECRET_KEY is None:
        if not DEBUG:
            raise envvars.ConfigError("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
        # Debug only: a per-process key (sessions do not survive a restart).
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
    ALLOWED_HOSTS = envvars.read_list(
        env, "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]
    )
    DATA_DIR = Path(envvars.read_str(env, "DJANGO_DATA_DIR", str(BASE_DIR / "data")))
    DATABASES = {
        "default": envvars.read_database(env, "DATABASE_URL", f"sqlite:///{DATA_DIR}/db.sqlite3")
    }
    DJANGO_LOG_LEVEL = envvars.read_log_level(env, "DJANGO_LOG_LEVEL", "INFO")
    SENTRY_DEBUG_VIEW = envvars.read_bool(env, "SENTRY_DEBUG_VIEW", False)
    SENTRY = read_sentry_config(env)
    # What /version answers: the Sentry release, else the image's version.
    APP_RELEASE = SENTRY.release or envvars.read_str(env, "APP_VERSION")
    HTTPS = envvars.read_bool(env, "DJANGO_HTTPS", False)
    HSTS_SECONDS = envvars.read_int(env, "DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
    HSTS_INCLUDE_SUBDOMAINS = envvars.read_bool(env, "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    HSTS_PRELOAD = envvars.read_bool(env, "DJANGO_SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = envvars.read_origins(env, "DJANGO_CSRF_TRUSTED_ORIGINS")
except envvars.ConfigError as error:
    envvars.fail_startup(error)

if SENTRY.dsn is not None:
    sentry_sdk.init(
        dsn=SENTRY.dsn,
        environment=SENTRY.environment,
        release=SENTRY.release,
        integrations=[
            DjangoIntegration(
                transaction_style="url",
                middleware_spans=SENTRY.tracing,
                signals_spans=False,
                cache_spans=False,
                http_methods_to_capture=SENTRY.http_methods_to_capture,
            ),
            # Sentry Logs are not used: no handler examining every record to drop it.
            LoggingIntegration(sentry_logs_level=None),
        ],
        traces_sample_rate=SENTRY.traces_sample_rate,  # None: errors only
        traces_sampler=SENTRY.traces_sampler,  # the rate, capped per process; no /healthz
        profile_session_sample_rate=SENTRY.profiles_rate,
        profile_lifecycle="trace",
        data_collection=DATA_COLLECTION,  # send_default_pii=False
        transport=PriorityTransport,  # error events on a queue of their own
        transport_queue_size=SENTRY.transport_queue_size,
        shutdown_timeout=5,  # queued events get this long at worker exit
    )
    after_init(sentry_sdk.get_client().options)

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "pages",
]

# Kept short on purpose: with DjangoIntegration(middleware_spans=True) every
# middleware becomes a span on every traced request. The health check is answered
# in front of Django (config.wsgi).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Behind a TLS-terminating proxy (DJANGO_HTTPS=1), which sets X-Forwarded-Proto and
# must overwrite any the client sent. /healthz stays plain HTTP: it never reaches Django.
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = HSTS_INCLUDE_SUBDOMAINS
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
        },
    },
    "root": {
        "handlers": ["console"],
        "level": "WARNING",
    },
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": DJANGO_LOG_LEVEL,
            "propagate": False,
        },
    },
}
