"""What Gunicorn runs (`django_sentry_deploy.wsgi:application`): the project's WSGI
application (its WSGI_APPLICATION, as `runserver` loads it) behind the liveness (/healthz)
and readiness (/readyz) checks."""

import os

from django.core.servers.basehttp import get_internal_wsgi_application

from django_sentry_deploy.env import ConfigError, fail_startup
from django_sentry_deploy.health import HealthCheck
from django_sentry_deploy.readiness import ReadinessCheck

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_sentry_deploy.settings")

try:
    application = HealthCheck(ReadinessCheck(get_internal_wsgi_application()))
except ConfigError as error:  # the project's app or WSGI module calls sentry_sdk.init
    fail_startup(error)
