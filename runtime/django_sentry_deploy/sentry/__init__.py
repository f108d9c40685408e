"""Sentry for this app: what settings.py passes to `sentry_sdk.init`, and what it cannot.

- options: the SENTRY_* variables, validated (dsn: the DSN check)
- privacy: `data_collection`, the current form of `send_default_pii=False`
- budget, sampler: the traces sampler and its per-process token bucket
- integration: DjangoIntegration with middleware spans only in sampled requests
- transport: error events on a lane of their own
- trace_context, loggers: set-up `sentry_sdk.init` has no option for (`after_init`)
"""

from __future__ import annotations

from typing import Any

from config.sentry.loggers import quiet_loggers
from config.sentry.trace_context import connect_trace_per_request


def after_init(options: dict[str, Any]) -> None:
    """Settings that `sentry_sdk.init` has no option for (`options`: the client's)."""
    quiet_loggers(debug=options["debug"])
    connect_trace_per_request(options)
