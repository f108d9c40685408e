from django.conf import settings
from django.urls import path

from pages import views

urlpatterns = [
    path("", views.index, name="index"),
    path("version", views.version, name="version"),
]

if settings.SENTRY_DEBUG_VIEW:
    urlpatterns.append(path("sentry-debug/", views.sentry_debug, name="sentry-debug"))
