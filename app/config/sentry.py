"""Sentry set-up: the options passed to `sentry_sdk.init`, the sampler and the transport.

The defaults are the values of the Sentry setup this project follows
(traces and profiles sampled at 1.0, DjangoIntegration with url-style transaction
names, middleware spans on, signal and cache spans off); each can be changed
through the environment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import environ
import sentry_sdk
from django.core.signals import request_started
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger
from sentry_sdk.tracing_utils import has_tracing_enabled
from sentry_sdk.transport import HttpTransport, Transport
from sentry_sdk.utils import BadDsn, Dsn

from config.env import ConfigError, read_positive_int, read_rate, read_str
from config.health import HEALTH_PATH

log = logging.getLogger("config.sentry")

# Equivalent of `send_default_pii=False` (the SDK deprecates that flag in favour of
# `data_collection`): no user identity, no IP, cookies/headers/query strings with
# sensitive keys replaced by "[Filtered]" (SDK denylist plus the forwarding headers
# that carry client IPs), no request bodies, no SQL parameters, and local variables
# filtered by the same denylist (plus request objects).
_PII_TERMS = ["forwarded", "-ip", "remote-", "via", "-user"]
DATA_COLLECTION: dict[str, Any] = {
    "user_info": False,
    "cookies": {"mode": "denylist", "terms": _PII_TERMS},
    "http_headers": {"request": {"mode": "denylist", "terms": _PII_TERMS}},
    "http_bodies": [],
    "url_query_params": {"mode": "denylist", "terms": _PII_TERMS},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    # A request's repr carries its full URL, query string (and any token in it) included.
    "stack_frame_variables": {"mode": "denylist", "terms": ["request"]},
}


def read_dsn(env: environ.Env) -> tuple[str, str] | None:
    """The DSN and the variable it came from; `SENTRY_DSN` wins over the legacy `DSN`."""
    for name in ("SENTRY_DSN", "DSN"):
        value = read_str(env, name)
        if value is not None:
            _validate_dsn(name, value)
            return name, value
    return None


def _validate_dsn(name: str, value: str) -> None:
    try:
        Dsn(value)
    except (BadDsn, ValueError) as exc:
        # BadDsn's reasons name a part (scheme, key, project), never the key itself.
        reason = str(exc) if isinstance(exc, BadDsn) else "invalid port"
        raise ConfigError(
            f"{name} is not a valid Sentry DSN ({reason}); "
            "expected http(s)://<public_key>@<host>/<project_id>"
        ) from None


class TraceBudget:
    """At most `per_second` traced requests per second in this process (token bucket).

    Below the budget every request is sampled at the configured rate; above it, as
    under saturation, the excess is not traced, so tracing cannot take over the CPU
    the requests need. Shed transactions are counted in the app's log and reach
    Sentry as client reports (reason `sample_rate`).
    """

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._tokens = per_second
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.per_second, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


def make_traces_sampler(
    rate: float, budget: TraceBudget | None = None
) -> Callable[[dict[str, Any]], float]:
    """Sample every request at `rate` within `budget`; never the health check.

    A sampling decision inherited from an upstream service wins, as it does in the SDK
    when no sampler is set.
    """

    def traces_sampler(sampling_context: dict[str, Any]) -> float:
        environ_ = sampling_context.get("wsgi_environ") or {}
        if environ_.get("PATH_INFO") == HEALTH_PATH:
            return 0.0
        parent = sampling_context.get("parent_sampled")
        if parent is not None:
            return float(parent)
        if rate > 0.0 and budget is not None and not budget.take():
            transport = sentry_sdk.get_client().transport
            if isinstance(transport, PriorityTransport):
                transport.record_shed("trace_budget")
            return 0.0
        return rate

    return traces_sampler


def init_options(env: environ.Env) -> dict[str, Any] | None:
    """Keyword arguments for `sentry_sdk.init`, or None when no DSN is set (Sentry off)."""
    # Every variable is validated even when Sentry is off, so a typo shows up at once.
    traces_rate = read_rate(env, "SENTRY_TRACES_SAMPLE_RATE", 1.0)
    profiles_rate = read_rate(env, "SENTRY_PROFILES_SAMPLE_RATE", 1.0)
    queue_size = read_positive_int(env, "SENTRY_TRANSPORT_QUEUE_SIZE", 100)
    traces_per_second = read_positive_int(env, "SENTRY_TRACES_MAX_PER_SECOND", 5)
    environment = read_str(env, "SENTRY_ENVIRONMENT", "production")
    release = read_str(env, "SENTRY_RELEASE")
    dsn = read_dsn(env)
    if dsn is None:
        return None
    return {
        "dsn": dsn[1],
        "environment": environment,
        "release": release,
        # `enable_tracing=True` is deprecated: a traces_sample_rate turns tracing on,
        # and a rate of 0 turns it off altogether (errors only: no transactions are
        # started, not even for requests whose caller asks for a sampled trace).
        "traces_sample_rate": traces_rate or None,
        # The sampler applies the rate, never traces the health check, and caps traced
        # requests per worker process (SENTRY_TRACES_MAX_PER_SECOND): under saturation
        # the excess is shed (logged, and counted in Sentry's client reports) instead
        # of tracing eating the CPU the requests need.
        "traces_sampler": (
            make_traces_sampler(traces_rate, TraceBudget(traces_per_second))
            if traces_rate
            else None
        ),
        # `profiles_sample_rate` (one profile per transaction) is deprecated; continuous
        # profiling in "trace" lifecycle profiles exactly while sampled transactions run.
        "profile_session_sample_rate": profiles_rate,
        "profile_lifecycle": "trace",
        "data_collection": DATA_COLLECTION,
        "integrations": [
            DjangoTracing(
                transaction_style="url",
                middleware_spans=bool(traces_rate),
                signals_spans=False,
                cache_spans=False,
                # Errors only: no transaction is started at all, not even a discarded
                # one (see `continue_trace_for_errors`).
                **({} if traces_rate else {"http_methods_to_capture": ()}),
            ),
            # The SDK's defaults (INFO and up as breadcrumbs, ERROR and up as events)
            # without the handler for Sentry Logs, a product not enabled here: it
            # examined every log record only to drop it.
            LoggingIntegration(sentry_logs_level=None),
        ],
        # Error events on their own queue: never crowded out by transactions.
        "transport": PriorityTransport,
        "transport_queue_size": queue_size,
        # Time for queued events at worker exit (max_requests recycling, deploys).
        "shutdown_timeout": 5,
    }


class DjangoTracing(DjangoIntegration):
    """DjangoIntegration that builds middleware spans only where they can be sent.

    With `middleware_spans=True` the stock integration wraps every middleware call in
    a span, even in requests that are not sampled, whose spans are thrown away: about
    eight spans of pure cost per request. Sampled requests get exactly the same spans.
    """

    @property
    def middleware_spans(self) -> bool:
        if not self._middleware_spans:
            return False
        span = sentry_sdk.get_current_span()
        return span is not None and bool(span.sampled)

    @middleware_spans.setter
    def middleware_spans(self, value: bool) -> None:
        self._middleware_spans = value


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


def after_init(options: dict[str, Any]) -> None:
    """Settings that `sentry_sdk.init` has no option for (`options`: the client's)."""
    # Skip building the SDK's debug records (two per request) that only SENTRY_DEBUG shows.
    level = logging.DEBUG if options["debug"] else logging.WARNING
    logging.getLogger("sentry_sdk.errors").setLevel(level)
    # Gunicorn logs each request after the request's scope is gone: as breadcrumbs
    # those lines only piled up in the worker's scope (copied into every request,
    # then cleared), never in an error event's context.
    ignore_logger("gunicorn.access")
    # Requests by IP or for foreign hosts (scanners) are answered 400 and logged by
    # Django; as Sentry issues they would only be noise and use up the quota.
    ignore_logger("django.security.DisallowedHost")
    if not has_tracing_enabled(options):
        request_started.connect(continue_trace_for_errors, dispatch_uid="sentry-errors-trace")


def _is_error_envelope(envelope: Envelope) -> bool:
    return any(item.type in {"event", "attachment", "check_in"} for item in envelope.items)


class _Lane(HttpTransport):
    """One queue, one sender thread and one connection pool; counts what it drops."""

    def __init__(self, options: dict[str, Any], name: str, sink: _DropLog) -> None:
        super().__init__(options)
        self._lane = name
        self._sink = sink

    def on_dropped_event(self, reason: str) -> None:
        self._sink.record(self._lane, reason)


class _DropLog:
    """Reports dropped telemetry in one log line per interval (the first one at once)."""

    def __init__(self, interval: float = 60.0) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._last_report = -interval

    def record(self, lane: str, reason: str) -> None:
        if lane == "errors":
            # Errors are the point of Sentry: every loss gets a line of its own.
            log.error("Sentry error event lost (%s)", reason)
            return
        with self._lock:
            self._counts[reason] += 1
            if time.monotonic() - self._last_report < self._interval:
                return
        self.report()

    def report(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last_report = time.monotonic()
        if not counts:
            return
        summary = ", ".join(f"{n} {reason}" for reason, n in counts.items())
        log.warning(
            "Sentry shed telemetry since the last report: %s "
            "(transactions and profiles only; error events are not affected)",
            summary,
        )


class PriorityTransport(Transport):
    """Sends error events on their own lane so telemetry can never crowd them out.

    The stock transport has one queue (100 envelopes) for everything: under load,
    transactions and profiles fill it and error events are dropped with them. Here,
    error events get a large queue, their own sender thread and connections; the
    telemetry lane (transactions, profiles, sessions, client reports) keeps the
    configured queue size and is shed first, which the SDK's backpressure handling
    watches (`is_healthy`) to lower the trace sample rate until the lane drains.
    """

    ERROR_QUEUE_SIZE = 2000

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self._drops = _DropLog()
        self._telemetry = _Lane(options, "telemetry", self._drops)
        self._errors = _Lane(
            {**options, "transport_queue_size": self.ERROR_QUEUE_SIZE}, "errors", self._drops
        )

    def record_shed(self, reason: str) -> None:
        """Count telemetry not sent (for the periodic log line)."""
        self._drops.record("telemetry", reason)

    def capture_envelope(self, envelope: Envelope) -> None:
        lane = self._errors if _is_error_envelope(envelope) else self._telemetry
        lane.capture_envelope(envelope)

    def flush(self, timeout: float, callback: Callable[..., Any] | None = None) -> None:
        deadline = time.monotonic() + timeout
        self._errors.flush(timeout, callback)
        self._telemetry.flush(max(0.0, deadline - time.monotonic()), callback)

    def kill(self) -> None:
        self._drops.report()  # the client is closing: the pending count is logged now
        self._errors.kill()
        self._telemetry.kill()

    def record_lost_event(
        self,
        reason: str,
        data_category: str | None = None,
        item: Any = None,
        *,
        quantity: int = 1,
    ) -> None:
        # Losses the client decides on (sampling, backpressure) reach Sentry as client
        # reports; transactions not started because of backpressure are also logged.
        if reason == "backpressure" and data_category == "transaction":
            self.record_shed(reason)
        self._telemetry.record_lost_event(reason, data_category, item, quantity=quantity)

    def is_healthy(self) -> bool:
        return self._telemetry.is_healthy()
