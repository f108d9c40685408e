"""The runtime that django-sentry-deploy installs into every image it builds.

`django_sentry_deploy.settings` is the container's DJANGO_SETTINGS_MODULE: it imports the
project's own settings (DJANGO_PROJECT_SETTINGS) and applies the production settings the
bundle owns (see `overlay`). `django_sentry_deploy.wsgi:application` is what Gunicorn runs.
"""
