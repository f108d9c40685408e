"""Sentry for the deployed project: what the overlay passes to `sentry_sdk.init`, and what it
cannot.

- options: the SENTRY_* variables, validated (dsn: the DSN check)
- privacy: `data_collection`, the current form of `send_default_pii=False`
- budget, sampler: the traces sampler and its per-process token bucket
- integration: DjangoIntegration with middleware spans only in sampled requests
- transport: error events on a lane of their own
- trace_context, loggers: set-up `sentry_sdk.init` has no option for
"""

from __future__ import annotations

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

from django_sentry_deploy.sentry.integration import DjangoIntegration
from django_sentry_deploy.sentry.loggers import quiet_loggers
from django_sentry_deploy.sentry.options import SentryConfig
from django_sentry_deploy.sentry.privacy import DATA_COLLECTION
from django_sentry_deploy.sentry.trace_context import connect_trace_per_request
from django_sentry_deploy.sentry.transport import PriorityTransport

SESSIONS_FLUSH_SECONDS = 10


def init_sentry(config: SentryConfig) -> None:
    """The one Sentry client of the process; nothing when no DSN is set."""
    if config.dsn is None:
        return
    sentry_sdk.init(
        dsn=config.dsn,
        environment=config.environment,
        release=config.release,
        integrations=[
            DjangoIntegration(
                transaction_style="url",
                middleware_spans=config.tracing,
                signals_spans=False,
                cache_spans=False,
                http_methods_to_capture=config.http_methods_to_capture,
            ),
            # Sentry Logs are not used: no handler examining every record to drop it.
            LoggingIntegration(sentry_logs_level=None),
        ],
        traces_sample_rate=config.traces_sample_rate,  # None: errors only
        traces_sampler=config.traces_sampler,  # the rate, capped per process; no /healthz, /readyz
        profile_session_sample_rate=config.profiles_rate,
        profile_lifecycle="trace",
        data_collection=DATA_COLLECTION,  # send_default_pii=False
        transport=PriorityTransport,  # error events on a queue of their own
        transport_queue_size=config.transport_queue_size,
        shutdown_timeout=5,  # queued events get this long at worker exit
    )
    client = sentry_sdk.get_client()
    # Release health (a session per request) is what a canary's error rate is divided by: it
    # must reach Sentry within the canary's window, not after the SDK's default minute.
    flusher = getattr(client, "session_flusher", None)
    if flusher is not None:
        flusher.flush_interval = SESSIONS_FLUSH_SECONDS
    options = client.options
    quiet_loggers(debug=options["debug"])
    connect_trace_per_request(options)
