from django.apps import AppConfig


class DjangoSentryDeployConfig(AppConfig):
    """Added to INSTALLED_APPS by the overlay for its management commands
    (`sentry_test_event`); it has no models."""

    name = "django_sentry_deploy"
    verbose_name = "django-sentry-deploy runtime"
