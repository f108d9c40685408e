"""The SENTRY_* variables, validated, and the option values settings.py derives from them.

The defaults are those of the Sentry set-up this project follows (traces and profiles
sampled at 1.0); each can be changed through the environment. Deprecated SDK options
are not used: a traces rate turns tracing on (no `enable_tracing`), continuous
profiling in the "trace" lifecycle replaces `profiles_sample_rate`, and
`data_collection` (django_sentry_deploy.sentry.privacy) replaces `send_default_pii`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sentry_sdk.integrations._wsgi_common import DEFAULT_HTTP_METHODS_TO_CAPTURE

from django_sentry_deploy.env import read_int, read_rate, read_str
from django_sentry_deploy.sentry.budget import TraceBudget
from django_sentry_deploy.sentry.dsn import read_dsn
from django_sentry_deploy.sentry.sampler import make_traces_sampler


@dataclass(frozen=True)
class SentryConfig:
    dsn: str | None  # None: Sentry is off
    environment: str
    release: str | None
    traces_rate: float
    profiles_rate: float
    transport_queue_size: int
    traces_per_second: int

    @property
    def tracing(self) -> bool:
        """A rate of 0 turns tracing off altogether (errors only)."""
        return self.traces_rate > 0.0

    @property
    def traces_sample_rate(self) -> float | None:
        return self.traces_rate if self.tracing else None

    @cached_property
    def traces_sampler(self) -> Callable[[dict[str, Any]], float] | None:
        """Applies the rate, never traces the health check, and caps traced requests per
        worker process: under saturation the excess is shed (logged, and counted in
        Sentry's client reports) instead of tracing eating the CPU the requests need."""
        if not self.tracing:
            return None
        return make_traces_sampler(self.traces_rate, TraceBudget(self.traces_per_second))

    @property
    def http_methods_to_capture(self) -> tuple[str, ...]:
        """Errors only: no transaction is started, not even a discarded one (the trace of
        each request comes from django_sentry_deploy.sentry.trace_context)."""
        return DEFAULT_HTTP_METHODS_TO_CAPTURE if self.tracing else ()


def read_sentry_config() -> SentryConfig:
    """Every variable is validated even when Sentry is off, so a typo shows up at once."""
    traces_rate = read_rate("SENTRY_TRACES_SAMPLE_RATE", 1.0)
    profiles_rate = read_rate("SENTRY_PROFILES_SAMPLE_RATE", 1.0)
    queue_size = read_int("SENTRY_TRANSPORT_QUEUE_SIZE", 100, minimum=1)
    traces_per_second = read_int("SENTRY_TRACES_MAX_PER_SECOND", 5, minimum=1)
    environment = read_str("SENTRY_ENVIRONMENT", "production") or "production"
    release = read_str("SENTRY_RELEASE")
    dsn = read_dsn()
    return SentryConfig(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_rate=traces_rate,
        profiles_rate=profiles_rate,
        transport_queue_size=queue_size,
        traces_per_second=traces_per_second,
    )
