"""ROOT_URLCONF when SENTRY_DEBUG_VIEW is on: /sentry-debug/, then the project's URLconf."""

from django.conf import settings
from django.urls import include, path

from django_sentry_deploy.views import sentry_debug

urlpatterns = [
    path("sentry-debug/", sentry_debug, name="sentry-debug"),
    path("", include(settings.DEPLOY_PROJECT_URLCONF)),
]
