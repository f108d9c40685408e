"""WSGI entry point used by Gunicorn (`config.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

from config.health import HealthCheck

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = HealthCheck(get_wsgi_application())
