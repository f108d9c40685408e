"""What the overlay owns, on small projects written for each test: its values win over the
project's, LOGGING and static files are merged into the project's own, a project's Sentry
client or broken settings stop start-up with one line."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from runtimeprocess import run_python, write_project

SECRET = "overlay-secret-key-that-is-long-enough-0123456789abcdefghijklmnop"
SETTINGS = "shop.settings"
URLS = """
from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("shop/", lambda request: HttpResponse("shop"), name="shop-home")]
"""
BASE = """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-the-projects-own"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "shop.urls"
STATIC_URL = "static/"
"""


def make_project(tmp_path: Path, settings: str = "", **files: str) -> Path:
    """`shop`: BASE settings plus `settings`, and any other files (`shop/storage.py`...)."""
    sources = {"shop/settings.py": BASE + textwrap.dedent(settings), "shop/urls.py": URLS}
    sources.update({name.replace("__", "/") + ".py": source for name, source in files.items()})
    return write_project(tmp_path / "project", sources)


# Run after django.setup(); prints `result` as JSON.
SETUP = """
import json, logging, django
django.setup()
from django.conf import settings
"""


def run_setup(
    tmp_path: Path, project: Path, code: str = "result = None", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = SETUP + textwrap.dedent(code) + "\nprint(json.dumps(result, default=str))\n"
    env = {"DJANGO_PROJECT_SETTINGS": SETTINGS, "DJANGO_SECRET_KEY": SECRET, **(env or {})}
    return run_python(["-W", "error", "-c", script], env, tmp_path, project)


def evaluate(tmp_path: Path, project: Path, code: str, env: dict[str, str] | None = None) -> Any:
    proc = run_setup(tmp_path, project, code, env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


OWNED = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "DATABASES",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "STORAGES",
    "STATIC_ROOT",
    "LOGGING",
)


def owned(tmp_path: Path, settings: str = "", env: dict[str, str] | None = None) -> Any:
    code = f"result = {{n: getattr(settings, n) for n in {OWNED!r}}}"
    code += "\nresult['legacy'] = hasattr(settings, 'STATICFILES_STORAGE')"
    return evaluate(tmp_path, make_project(tmp_path, settings), code, env)


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("configuration error: ")
    return lines[0]


# --- values the project hard-codes --------------------------------------------------


PROJECT_DATABASES = """
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "HOST": "localhost",
        "OPTIONS": {"sslmode": "require"},
    },
    "reports": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/var/lib/reports.sqlite3"},
}
"""


def test_the_overlays_values_win_over_hard_coded_ones(tmp_path: Path) -> None:
    env = {
        "DJANGO_ALLOWED_HOSTS": "shop.example.com, www.shop.example.com",
        "DATABASE_URL": "postgres://shop:pw@db.internal:5433/shopdb",
    }
    result = owned(tmp_path, PROJECT_DATABASES, env)

    assert result["DEBUG"] is False
    assert result["ALLOWED_HOSTS"] == ["shop.example.com", "www.shop.example.com"]
    assert result["SECRET_KEY"] == SECRET
    default = result["DATABASES"]["default"]
    assert (default["ENGINE"], default["NAME"], default["HOST"], default["PORT"]) == (
        "django.db.backends.postgresql",
        "shopdb",
        "db.internal",
        5433,
    )
    # DATABASE_URL is all of `default` (options go in its query string); others are kept.
    assert "sslmode" not in default.get("OPTIONS", {})
    assert result["DATABASES"]["reports"] == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/var/lib/reports.sqlite3",
    }
    assert result["INSTALLED_APPS"] == ["django.contrib.staticfiles", "django_sentry_deploy"]


def test_without_database_url_default_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    default = owned(tmp_path, PROJECT_DATABASES)["DATABASES"]["default"]

    assert (default["ENGINE"], default["NAME"]) == (
        "django.db.backends.sqlite3",
        str(tmp_path / "db.sqlite3"),
    )


@pytest.mark.parametrize("value", [None, ""])
def test_the_projects_secret_key_is_never_used(tmp_path: Path, value: str | None) -> None:
    env = {} if value is None else {"DJANGO_SECRET_KEY": value}
    project = make_project(tmp_path)
    proc = run_python(
        ["-W", "error", "-c", SETUP],
        {"DJANGO_PROJECT_SETTINGS": SETTINGS, **env},
        tmp_path,
        project,
    )

    assert one_line_error(proc) == "configuration error: DJANGO_SECRET_KEY is required"


def test_the_projects_settings_read_the_env_file(tmp_path: Path) -> None:
    # The .env goes into the environment before the project's settings import.
    env_file = tmp_path / "app.env"
    env_file.write_text("SHOP_API_TOKEN='token-from-the-env-file'\n")
    project = make_project(tmp_path, 'SHOP_API_TOKEN = os.environ["SHOP_API_TOKEN"]\n')
    env = {"DJANGO_ENV_FILE": str(env_file)}

    assert evaluate(tmp_path, project, "result = settings.SHOP_API_TOKEN", env) == (
        "token-from-the-env-file"
    )


# --- LOGGING -------------------------------------------------------------------------


def project_logging(tmp_path: Path, root: str = "") -> str:
    return f"""
    LOGGING = {{
        "version": 1,
        "formatters": {{"shop": {{"format": "shop-format %(levelname)s %(message)s"}}}},
        "handlers": {{
            "shopfile": {{
                "class": "logging.FileHandler",
                "filename": {str(tmp_path / "shop.log")!r},
                "formatter": "shop",
            }},
            "mail_admins": {{
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
            }},
        }},
        "loggers": {{
            "shop": {{"handlers": ["shopfile"], "level": "INFO"}},
            "django": {{"handlers": ["mail_admins"], "level": "ERROR"}},
        }},
        {root}
    }}
    """


def test_logging_is_merged_into_the_projects(tmp_path: Path) -> None:
    logging_ = owned(tmp_path, project_logging(tmp_path))["LOGGING"]

    assert logging_ == {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"shop": {"format": "shop-format %(levelname)s %(message)s"}},
        "handlers": {
            "shopfile": {
                "class": "logging.FileHandler",
                "filename": str(tmp_path / "shop.log"),
                "formatter": "shop",
            },
            "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR"},
            "console": {"class": "logging.StreamHandler"},
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "shop": {"handlers": ["shopfile"], "level": "INFO"},
            "django": {
                "handlers": ["mail_admins", "console"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }


def test_the_projects_loggers_keep_working(tmp_path: Path) -> None:
    project = make_project(tmp_path, project_logging(tmp_path))
    code = """
    logging.getLogger("shop").warning("stock is low")
    logging.getLogger("shop.basket").info("basket saved")
    result = {
        "django": [type(h).__name__ for h in logging.getLogger("django").handlers],
        "django_level": logging.getLevelName(logging.getLogger("django").level),
    }
    """
    proc = run_setup(tmp_path, project, code, {"DJANGO_LOG_LEVEL": "warning"})

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "django": ["AdminEmailHandler", "StreamHandler"],
        "django_level": "WARNING",
    }
    # The project's handler and format, and the seed's console on stderr.
    assert (tmp_path / "shop.log").read_text().splitlines() == [
        "shop-format WARNING stock is low",
        "shop-format INFO basket saved",
    ]
    assert "stock is low" in proc.stderr


def test_a_root_level_the_project_sets_is_kept(tmp_path: Path) -> None:
    root = '"root": {"handlers": ["shopfile"], "level": "INFO"},'
    logging_ = owned(tmp_path, project_logging(tmp_path, root))["LOGGING"]

    assert logging_["root"] == {"handlers": ["shopfile", "console"], "level": "INFO"}


def test_a_root_logger_configured_as_the_empty_name_is_kept(tmp_path: Path) -> None:
    settings = f"""
    LOGGING = {{
        "version": 1,
        "handlers": {{
            "shopfile": {{
                "class": "logging.FileHandler",
                "filename": {str(tmp_path / "shop.log")!r},
            }},
        }},
        "loggers": {{"": {{"handlers": ["shopfile"], "level": "INFO"}}}},
    }}
    """
    project = make_project(tmp_path, settings)
    code = """
    logging.getLogger("shop").info("order placed")
    root = logging.getLogger()
    result = [[type(h).__name__ for h in root.handlers], logging.getLevelName(root.level)]
    """
    proc = run_setup(tmp_path, project, code)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [["FileHandler", "StreamHandler"], "INFO"]
    assert (tmp_path / "shop.log").read_text() == "order placed\n"
    assert "order placed" in proc.stderr


def test_a_project_that_configures_logging_itself_is_left_alone(tmp_path: Path) -> None:
    settings = """
    LOGGING_CONFIG = None
    LOGGING = {"version": 1, "loggers": {"shop": {"level": "DEBUG"}}}
    """
    project = make_project(tmp_path, settings)
    code = """
    result = {
        "logging": settings.LOGGING,
        "root_handlers": logging.getLogger().handlers,
        "django_level": logging.getLogger("django").level,
    }
    """
    result = evaluate(tmp_path, project, code)

    assert result == {
        "logging": {"version": 1, "loggers": {"shop": {"level": "DEBUG"}}},
        "root_handlers": [],
        "django_level": 0,
    }


# --- static files --------------------------------------------------------------------

WHITENOISE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]
FILE_SYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_default_static_storage_becomes_whitenoises(tmp_path: Path) -> None:
    result = owned(tmp_path)

    assert result["STORAGES"] == {
        "default": FILE_SYSTEM,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    assert result["MIDDLEWARE"] == WHITENOISE_MIDDLEWARE
    assert result["STATIC_ROOT"] == str(tmp_path / "static")


def test_manifest_storage_becomes_compressed_manifest_with_its_options(tmp_path: Path) -> None:
    settings = """
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
            "OPTIONS": {"manifest_strict": False},
        },
    }
    STATIC_ROOT = BASE_DIR / "staticfiles"
    """
    result = owned(tmp_path, settings)

    assert result["STORAGES"] == {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
            "OPTIONS": {"manifest_strict": False},
        },
    }
    assert result["STATIC_ROOT"] == str(tmp_path / "static")


def test_the_legacy_storage_setting_is_replaced_by_storages(tmp_path: Path) -> None:
    settings = (
        'STATICFILES_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"\n'
    )
    result = owned(tmp_path, settings)

    assert result["STORAGES"]["staticfiles"] == {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }
    assert result["legacy"] is False


STORAGE = """
from django.core.files.storage import Storage


class S3Storage(Storage):
    pass
"""


def test_a_project_serving_static_files_elsewhere_gets_no_whitenoise(tmp_path: Path) -> None:
    settings = """
    STORAGES = {"default": {"BACKEND": "shop.storage.S3Storage"},
                "staticfiles": {"BACKEND": "shop.storage.S3Storage"}}
    """
    project = make_project(tmp_path, settings, shop__storage=STORAGE)
    code = "result = [settings.STORAGES, settings.MIDDLEWARE, settings.STATIC_ROOT]"

    assert evaluate(tmp_path, project, code) == [
        {
            "default": {"BACKEND": "shop.storage.S3Storage"},
            "staticfiles": {"BACKEND": "shop.storage.S3Storage"},
        },
        [
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ],
        None,
    ]


@pytest.mark.parametrize(
    ("middleware", "expected"),
    [
        # Already there: not added twice.
        (WHITENOISE_MIDDLEWARE, WHITENOISE_MIDDLEWARE),
        # No SecurityMiddleware: first.
        (
            ["django.middleware.common.CommonMiddleware"],
            [
                "whitenoise.middleware.WhiteNoiseMiddleware",
                "django.middleware.common.CommonMiddleware",
            ],
        ),
    ],
)
def test_whitenoise_is_placed_once_and_early(
    tmp_path: Path, middleware: list[str], expected: list[str]
) -> None:
    assert owned(tmp_path, f"MIDDLEWARE = {middleware!r}\n")["MIDDLEWARE"] == expected


# --- a project's own Sentry client, settings that do not import ----------------------

DSN = "http://0123456789abcdef@127.0.0.1:9/4501"
# Imports the overlay and reports how it stopped and whether a Sentry client is left.
IMPORT_OVERLAY = """
import importlib, sys, sentry_sdk
try:
    importlib.import_module("django_sentry_deploy.settings")
except SystemExit as stop:
    print(stop.code, sentry_sdk.get_client().is_active())
"""


@pytest.mark.parametrize(
    "call",
    [
        f"import sentry_sdk\nsentry_sdk.init(dsn={DSN!r})\n",
        f"from sentry_sdk import init\ninit(dsn={DSN!r}, traces_sample_rate=1.0)\n",
    ],
)
def test_a_project_calling_sentry_init_is_refused_without_a_client(
    tmp_path: Path, call: str
) -> None:
    project = make_project(tmp_path, call)
    env = {"DJANGO_PROJECT_SETTINGS": SETTINGS, "DJANGO_SECRET_KEY": SECRET, "SENTRY_DSN": DSN}

    proc = run_python(["-W", "error", "-c", SETUP], env, tmp_path, project)
    assert one_line_error(proc) == (
        "configuration error: the project's settings (shop.settings) call sentry_sdk.init: "
        "remove that call, the bundle initialises Sentry from the .env (SENTRY_DSN)"
    )
    in_process = run_python(["-W", "error", "-c", IMPORT_OVERLAY], env, tmp_path, project)
    assert in_process.stdout == "2 False\n", in_process.stderr


READY = f"""
import sentry_sdk
from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        sentry_sdk.init(dsn={DSN!r})
"""
WSGI = f"""
from sentry_sdk import init
from django.core.wsgi import get_wsgi_application

init(dsn={DSN!r})
application = get_wsgi_application()
"""
LATER_INIT = (
    "configuration error: the project's code outside its settings (an AppConfig.ready(), "
    "its WSGI module...) calls sentry_sdk.init: remove that call, the bundle initialises "
    "Sentry from the .env (SENTRY_DSN)"
)


@pytest.mark.parametrize("sentry_dsn", ["", DSN])
@pytest.mark.parametrize(
    ("settings", "files"),
    [
        ('INSTALLED_APPS = ["shop.apps.ShopConfig"]\n', {"shop__apps": READY}),
        ('WSGI_APPLICATION = "shop.wsgi.application"\n', {"shop__wsgi": WSGI}),
    ],
)
def test_a_project_calling_sentry_init_later_is_refused(
    tmp_path: Path, settings: str, files: dict[str, str], sentry_dsn: str
) -> None:
    project = make_project(tmp_path, settings, **files)
    env = {
        "DJANGO_PROJECT_SETTINGS": SETTINGS,
        "DJANGO_SECRET_KEY": SECRET,
        "SENTRY_DSN": sentry_dsn,
    }
    serve = "import django_sentry_deploy.wsgi"
    proc = run_python(["-W", "error", "-c", serve], env, tmp_path, project)

    assert one_line_error(proc) == LATER_INIT


def test_a_client_started_another_way_is_refused(tmp_path: Path) -> None:
    start = f"""
    import sentry_sdk
    sentry_sdk.get_global_scope().set_client(sentry_sdk.Client(dsn={DSN!r}))
    """
    project = make_project(tmp_path, start)
    proc = run_setup(tmp_path, project)

    line = one_line_error(proc)
    assert line.startswith(
        "configuration error: the project's settings (shop.settings) start a Sentry client"
    )
    assert "0123456789abcdef" not in proc.stderr


@pytest.mark.parametrize(
    ("settings", "module", "expected"),
    [
        (
            "import shop_payments_sdk\n",
            SETTINGS,
            "ModuleNotFoundError: No module named 'shop_payments_sdk'",
        ),
        ('SHOP_API_TOKEN = os.environ["SHOP_API_TOKEN"]\n', SETTINGS, "KeyError: 'SHOP_API_TOKEN'"),
        ("", "shop.production", "ModuleNotFoundError: No module named 'shop.production'"),
        ("", "nowhere.settings", "ModuleNotFoundError: No module named 'nowhere'"),
    ],
)
def test_settings_that_do_not_import_are_one_line(
    tmp_path: Path, settings: str, module: str, expected: str
) -> None:
    project = make_project(tmp_path, settings)
    proc = run_setup(tmp_path, project, env={"DJANGO_PROJECT_SETTINGS": module})

    assert one_line_error(proc) == (
        f"configuration error: the project's settings ({module}) do not import: {expected}"
    )


def test_no_project_settings_is_one_line(tmp_path: Path) -> None:
    proc = run_setup(tmp_path, make_project(tmp_path), env={"DJANGO_PROJECT_SETTINGS": ""})

    assert one_line_error(proc) == (
        "configuration error: DJANGO_PROJECT_SETTINGS is required (the project's settings module)"
    )
