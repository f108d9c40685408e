"""ROOT_URLCONF when SENTRY_DEBUG_VIEW is on: /sentry-debug/, then the project's URLconf.

The project's patterns are listed here rather than include()d: Django allows i18n_patterns
only in the root URLconf, and looks the error views (handler404, ...) up there too.
"""

from importlib import import_module

from django.conf import settings
from django.conf import urls as django_urls
from django.urls import path

from django_sentry_deploy.views import sentry_debug

_project = import_module(settings.DEPLOY_PROJECT_URLCONF)

urlpatterns = [
    path("sentry-debug/", sentry_debug, name="sentry-debug"),
    *_project.urlpatterns,
]
handler400 = getattr(_project, "handler400", django_urls.handler400)
handler403 = getattr(_project, "handler403", django_urls.handler403)
handler404 = getattr(_project, "handler404", django_urls.handler404)
handler500 = getattr(_project, "handler500", django_urls.handler500)
