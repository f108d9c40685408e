"""Loggers whose records Sentry should not see, or need not build."""

from __future__ import annotations

import logging

from sentry_sdk.integrations.logging import ignore_logger

from django_sentry_deploy.sentry.transport import LOGGER_NAME


def quiet_loggers(debug: bool) -> None:
    # Skip building the SDK's debug records (two per request) that only SENTRY_DEBUG shows.
    logging.getLogger("sentry_sdk.errors").setLevel(logging.DEBUG if debug else logging.WARNING)
    # Gunicorn logs each request after the request's scope is gone: as breadcrumbs
    # those lines only piled up in the worker's scope (copied into every request,
    # then cleared), never in an error event's context.
    ignore_logger("gunicorn.access")
    # Requests by IP or for foreign hosts (scanners) are answered 400 and logged by
    # Django; as Sentry issues they would only be noise and use up the quota.
    ignore_logger("django.security.DisallowedHost")
    # The transport's own reports ("error event lost") as events would go out on the
    # lane that just failed, fail in turn and be reported again, without end.
    ignore_logger(LOGGER_NAME)
