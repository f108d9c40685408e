"""Build-time steps of the image, run against the overlay with throwaway values.

    python -m django_sentry_deploy.build collect   collectstatic (when WhiteNoise serves the
                                                   static files) and `check --deploy`
    python -m django_sentry_deploy.build warm-up   import what start-up imports, so its
                                                   bytecode is compiled into the image

A project that does not load fails the build here, with one line, not on a host. BUILD_ENV
(`NAME=value` lines) holds placeholders for variables the project's settings require. The
secret key is generated per run and the database is a SQLite file under /tmp: nothing of
either reaches a layer.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# Set by the Dockerfile only: the build may then remove files from the virtualenv's Django.
IMAGE_BUILD_VARIABLE = "DJANGO_SENTRY_DEPLOY_IMAGE_BUILD"
# Before Django starts: the overlay reads these.
_BUILD_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "django_sentry_deploy.settings",
    # The production shape, so `check --deploy` judges the settings a host runs with TLS.
    "DJANGO_HTTPS": "1",
    "DJANGO_ALLOWED_HOSTS": "localhost",
    "DJANGO_ENV_FILE": "/nonexistent/.env",
}


def _prepare_environment(work_dir: str) -> None:
    from django.core.management.utils import get_random_secret_key

    for line in os.environ.pop("BUILD_ENV", "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            os.environ.setdefault(name.strip(), value)
    for name, value in _BUILD_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SECRET_KEY", get_random_secret_key())
    os.environ.setdefault("DJANGO_DATA_DIR", work_dir)
    # Settings that read DATABASE_URL themselves import; nothing connects during the build.
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work_dir}/build.sqlite3")
    for name in ("SENTRY_DSN", "DSN"):
        os.environ.pop(name, None)


def collect() -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    from django_sentry_deploy.overlay import WHITENOISE_MIDDLEWARE

    # The overlay adds WhiteNoise only where static files are collected on this machine.
    collected = WHITENOISE_MIDDLEWARE in settings.MIDDLEWARE and bool(settings.STATIC_ROOT)
    if collected:
        call_command("collectstatic", interactive=False, verbosity=0)
    if os.environ.get(IMAGE_BUILD_VARIABLE) == "1":
        _trim_django(Path(django.__file__).parent, collected, settings.USE_I18N)
    call_command("check", deploy=True, fail_level="ERROR")


def _trim_django(django_dir: Path, collected: bool, translated: bool) -> None:
    """Files of the image's Django that the project never reads (megabytes)."""
    if collected:
        # WhiteNoise serves the collected copies: the admin's sources are dead weight.
        _remove(django_dir / "contrib" / "admin" / "static")
    if not translated:
        # Translations are never loaded with USE_I18N off.
        for locale in (django_dir / "conf" / "locale").iterdir():
            if locale.is_dir() and locale.name != "en":
                _remove(locale)
        for locale in django_dir.glob("contrib/*/locale"):
            _remove(locale)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def warm_up() -> None:
    import gunicorn.app.wsgiapp
    import gunicorn.workers.gthread
    import gunicorn.workers.sync  # noqa: F401
    from django.core.management.commands import migrate  # noqa: F401
    from django.db.migrations.loader import MigrationLoader
    from django.urls import get_resolver

    import django_sentry_deploy.wsgi  # noqa: F401 (the app as Gunicorn loads it)

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    MigrationLoader(None, ignore_no_migrations=True)


def _one_line(error: Exception) -> str:
    """The check's errors (`id: message`) on one line: Django lists them one per line under
    ERRORS:, with hints and warnings on lines of their own."""
    errors: list[str] = []
    section = ""
    for line in str(error).splitlines():
        if line.rstrip().endswith(":") and line.strip().isupper():
            section = line.strip()
        elif section == "ERRORS:" and ": (" in line and not line.lstrip().startswith("HINT:"):
            errors.append(line.strip())
    return "; ".join(errors) or str(error).strip().splitlines()[-1]


STEPS: dict[str, Callable[[], None]] = {"collect": collect, "warm-up": warm_up}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in STEPS:
        print(f"usage: {argv[0]} {{{'|'.join(STEPS)}}}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="django-build-") as work_dir:
        _prepare_environment(work_dir)
        import django
        from django.core.management.base import SystemCheckError

        try:
            django.setup()
            STEPS[argv[1]]()
        except SystemCheckError as exc:
            print(
                f"build error: `manage.py check --deploy` failed: {_one_line(exc)}", file=sys.stderr
            )
            return 1
        except Exception as exc:
            print(f"build error: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
