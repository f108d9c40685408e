"""One trace per request when tracing is off (errors only)."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from django.core.signals import request_started
from sentry_sdk.tracing_utils import has_tracing_enabled

# The request headers a trace is continued from, as the SDK reads them.
_TRACE_HEADERS = {"HTTP_SENTRY_TRACE": "sentry-trace", "HTTP_BAGGAGE": "baggage"}


def continue_trace_for_errors(
    sender: object, environ: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """Gives each request its own trace (or the caller's) when tracing is off.

    Without a transaction, a request's scope would keep the worker's trace, so all the
    worker's error events would share one trace id. Connected to `request_started`,
    which Django sends inside the request's Sentry scope.
    """
    environ = environ or {}
    headers = {name: environ[key] for key, name in _TRACE_HEADERS.items() if key in environ}
    sentry_sdk.get_isolation_scope().generate_propagation_context(headers)


def connect_trace_per_request(options: dict[str, Any]) -> None:
    """With tracing on, each request's transaction already starts its own trace."""
    if not has_tracing_enabled(options):
        request_started.connect(continue_trace_for_errors, dispatch_uid="sentry-errors-trace")
