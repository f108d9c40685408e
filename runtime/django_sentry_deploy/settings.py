"""The container's DJANGO_SETTINGS_MODULE: the project's own settings, then the bundle's.

1. the .env (DJANGO_ENV_FILE) goes into the environment, so the project's settings can
   read the secrets too;
2. the project's settings module (DJANGO_PROJECT_SETTINGS) is imported as it is;
3. the settings the bundle owns replace the project's (`overlay.production_settings`);
4. Sentry starts, once, from the SENTRY_* variables; any later `sentry_sdk.init` raises.

A missing or invalid value stops start-up with one line that names it, never its value.
"""

import os
from pathlib import Path

from django_sentry_deploy import env as _env
from django_sentry_deploy import overlay as _overlay
from django_sentry_deploy.sentry import init_sentry as _init_sentry
from django_sentry_deploy.sentry.options import read_sentry_config as _read_sentry_config

try:
    _env.load_env_file(Path(os.environ.get("DJANGO_ENV_FILE", "/app/.env")))
    _project = _overlay.project_settings(
        _overlay.import_project_settings(os.environ.get(_overlay.PROJECT_SETTINGS_VARIABLE))
    )
    _owned = _overlay.production_settings(_project)
    _sentry = _read_sentry_config()
except _env.ConfigError as _error:
    _env.fail_startup(_error)

globals().update(_project)
globals().update(_owned)
if "STORAGES" in _owned:
    # Django 4.2 refuses the legacy name beside STORAGES.
    globals().pop("STATICFILES_STORAGE", None)
_init_sentry(_sentry)
_overlay.refuse_later_sentry_init()
