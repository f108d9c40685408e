"""The production settings the bundle owns, applied over the project's own settings.

`django_sentry_deploy.settings` calls `project_settings()` and then `production_settings()`;
each function here owns one group of settings and is a pure function of the project's
values and the environment, so tests can call it directly.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import sentry_sdk

from django_sentry_deploy import env as envvars

PROJECT_SETTINGS_VARIABLE = "DJANGO_PROJECT_SETTINGS"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
# Static storages that write to STATIC_ROOT on this machine: WhiteNoise serves what they
# collect (keeping the project's choice of hashed names or not). Any other storage (S3,
# a CDN) means the project serves static files its own way, and the overlay stays out.
LOCAL_STATIC_STORAGES = {
    "django.contrib.staticfiles.storage.StaticFilesStorage": (
        "whitenoise.storage.CompressedStaticFilesStorage"
    ),
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage": (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    ),
    "whitenoise.storage.CompressedStaticFilesStorage": (
        "whitenoise.storage.CompressedStaticFilesStorage"
    ),
    "whitenoise.storage.CompressedManifestStaticFilesStorage": (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    ),
}
DEFAULT_STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"


class ProjectSentryInit(envvars.ConfigError):
    """The project's code calls `sentry_sdk.init`: there would be two clients."""


_REMOVE_SENTRY_INIT = "remove that call, the bundle initialises Sentry from the .env (SENTRY_DSN)"


def _refusal(who: str) -> Callable[..., NoReturn]:
    """A `sentry_sdk.init` that raises.

    The overlay owns the one Sentry client of the process: a second `init` would
    replace the first (with options the bundle does not control) and leave its
    transport thread behind.
    """

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise ProjectSentryInit(f"{who} sentry_sdk.init: {_REMOVE_SENTRY_INIT}")

    return refuse


@contextmanager
def _sentry_init_refused(module: str) -> Iterator[None]:
    """`sentry_sdk.init` raises while the project's settings import."""
    original = sentry_sdk.init
    sentry_sdk.init = _refusal(f"the project's settings ({module}) call")  # type: ignore[assignment]
    try:
        yield
    finally:
        sentry_sdk.init = original  # type: ignore[assignment]


def refuse_later_sentry_init() -> None:
    """Once the overlay started Sentry (or left it off), the rest of the project (an
    AppConfig.ready(), its WSGI module) may not start a client either."""
    sentry_sdk.init = _refusal(  # type: ignore[assignment]
        "the project's code outside its settings (an AppConfig.ready(), its WSGI module...) calls"
    )


def import_project_settings(name: str | None) -> ModuleType:
    if not name:
        raise envvars.ConfigError(
            f"{PROJECT_SETTINGS_VARIABLE} is required (the project's settings module)"
        )
    try:
        with _sentry_init_refused(name):
            module = importlib.import_module(name)
    except envvars.ConfigError:
        raise
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise envvars.ConfigError(
            f"the project's settings ({name}) do not import: {type(exc).__name__}: {first_line}"
        ) from None
    if sentry_sdk.get_client().is_active():
        raise ProjectSentryInit(
            f"the project's settings ({name}) start a Sentry client: remove it, "
            "the bundle initialises Sentry from the .env (SENTRY_DSN)"
        )
    return module


def project_settings(module: ModuleType) -> dict[str, Any]:
    """The project's settings as Django reads them: the module's upper-case names."""
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def core_settings(project: dict[str, Any]) -> dict[str, Any]:
    """SECRET_KEY, DEBUG (always off), hosts, origins and the apps the bundle adds."""
    secret_key = envvars.read_str("DJANGO_SECRET_KEY")
    if secret_key is None:
        raise envvars.ConfigError("DJANGO_SECRET_KEY is required")
    settings: dict[str, Any] = {
        "SECRET_KEY": secret_key,
        "DEBUG": False,
        "ALLOWED_HOSTS": envvars.read_list(
            "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]
        ),
        "INSTALLED_APPS": [*project.get("INSTALLED_APPS", []), "django_sentry_deploy"],
    }
    origins = envvars.read_origins("DJANGO_CSRF_TRUSTED_ORIGINS")
    if origins:
        settings["CSRF_TRUSTED_ORIGINS"] = origins
    wsgi_application = envvars.read_str("DJANGO_WSGI_APPLICATION")
    if wsgi_application:
        settings["WSGI_APPLICATION"] = wsgi_application
    return settings


def database_settings(project: dict[str, Any]) -> dict[str, Any]:
    """`default` from DATABASE_URL (else SQLite in DJANGO_DATA_DIR); other aliases kept."""
    data_dir = Path(envvars.read_str("DJANGO_DATA_DIR", "/data") or "/data")
    default = envvars.read_database("DATABASE_URL", f"sqlite:///{data_dir}/db.sqlite3")
    return {"DATABASES": {**project.get("DATABASES", {}), "default": default}}


def static_backend(project: dict[str, Any]) -> str:
    storages = project.get("STORAGES") or {}
    backend = (storages.get("staticfiles") or {}).get("BACKEND")
    return backend or project.get("STATICFILES_STORAGE") or DEFAULT_STATIC_STORAGE


def serves_static(project: dict[str, Any]) -> bool:
    """Whether WhiteNoise serves the project's static files (see LOCAL_STATIC_STORAGES)."""
    return static_backend(project) in LOCAL_STATIC_STORAGES


def static_settings(project: dict[str, Any]) -> dict[str, Any]:
    """STATIC_ROOT, the storage and WhiteNoise's middleware, unless the project serves
    its static files another way."""
    if not serves_static(project):
        return {}
    storages = dict(project.get("STORAGES") or {})
    storages.setdefault("default", {"BACKEND": "django.core.files.storage.FileSystemStorage"})
    storages["staticfiles"] = {
        **(storages.get("staticfiles") or {}),
        "BACKEND": LOCAL_STATIC_STORAGES[static_backend(project)],
    }
    return {
        "STATIC_ROOT": envvars.read_str("DJANGO_STATIC_ROOT", "/srv/static"),
        "STORAGES": storages,
        "MIDDLEWARE": with_whitenoise(list(project.get("MIDDLEWARE", []))),
    }


def with_whitenoise(middleware: list[str]) -> list[str]:
    """WhiteNoise right after SecurityMiddleware (first when there is none), as its docs
    ask: above everything else, so static requests skip the rest."""
    if WHITENOISE_MIDDLEWARE in middleware:
        return middleware
    at = middleware.index(SECURITY_MIDDLEWARE) + 1 if SECURITY_MIDDLEWARE in middleware else 0
    return [*middleware[:at], WHITENOISE_MIDDLEWARE, *middleware[at:]]


def https_settings() -> dict[str, Any]:
    """Behind the TLS-terminating proxy (DJANGO_HTTPS=1), which sets X-Forwarded-Proto
    and overwrites any the client sent."""
    # Read even with HTTPS off: a bad value shows at once, not the day HTTPS is turned on.
    hsts = {
        "SECURE_HSTS_SECONDS": envvars.read_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": envvars.read_bool(
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True
        ),
        "SECURE_HSTS_PRELOAD": envvars.read_bool("DJANGO_SECURE_HSTS_PRELOAD", True),
    }
    if not envvars.read_bool("DJANGO_HTTPS", False):
        return {}
    return {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        **hsts,
    }


def logging_settings(project: dict[str, Any]) -> dict[str, Any]:
    """The seed's LOGGING merged into the project's: a `console` handler, the root logger
    on it (at WARNING unless the project sets a level), the `django` logger at
    DJANGO_LOG_LEVEL. The project's own handlers, formatters and loggers stay as they are.

    A project that sets LOGGING_CONFIG = None configures logging itself: left alone.
    """
    if "LOGGING_CONFIG" in project and project["LOGGING_CONFIG"] is None:
        return {}
    level = envvars.read_log_level("DJANGO_LOG_LEVEL", "INFO")
    logging = copy.deepcopy(project.get("LOGGING") or {})
    logging["version"] = 1
    logging["disable_existing_loggers"] = False
    logging.setdefault("handlers", {}).setdefault("console", {"class": "logging.StreamHandler"})
    loggers = logging.setdefault("loggers", {})
    if "" in loggers and "root" not in logging:
        # dictConfig's other name for the root logger: "root" is applied after the
        # loggers and would replace it.
        logging["root"] = loggers.pop("")
    root = logging.setdefault("root", {})
    root["handlers"] = _with_console(root.get("handlers"))
    root.setdefault("level", "WARNING")
    django = loggers.setdefault("django", {})
    django["handlers"] = _with_console(django.get("handlers"))
    django["level"] = level
    django["propagate"] = False
    return {"LOGGING": logging}


def _with_console(handlers: list[str] | tuple[str, ...] | None) -> list[str]:
    names = list(handlers or [])
    return names if "console" in names else [*names, "console"]


def debug_view_settings(project: dict[str, Any]) -> dict[str, Any]:
    """/sentry-debug/ (raises, to prove errors reach Sentry) in front of the project's
    URLconf, when SENTRY_DEBUG_VIEW is on; the project's URLconf is not touched."""
    if not envvars.read_bool("SENTRY_DEBUG_VIEW", False):
        return {}
    return {
        "ROOT_URLCONF": "django_sentry_deploy.urls",
        "DEPLOY_PROJECT_URLCONF": project.get("ROOT_URLCONF"),
    }


def production_settings(project: dict[str, Any]) -> dict[str, Any]:
    """Every setting the overlay owns, read from the environment (and the .env)."""
    return {
        **core_settings(project),
        **database_settings(project),
        **static_settings(project),
        **https_settings(),
        **logging_settings(project),
        **debug_view_settings(project),
    }
