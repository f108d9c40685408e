"""The traces sampler: the configured rate, within the budget, never the health checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sentry_sdk

from django_sentry_deploy.health import HEALTH_PATH
from django_sentry_deploy.readiness import READY_PATH
from django_sentry_deploy.sentry.budget import TraceBudget
from django_sentry_deploy.sentry.transport import PriorityTransport


def make_traces_sampler(
    rate: float, budget: TraceBudget | None = None
) -> Callable[[dict[str, Any]], float]:
    """Sample every request at `rate` within `budget`; never /healthz nor /readyz.

    A sampling decision inherited from an upstream service wins, as it does in the SDK
    when no sampler is set.
    """

    def traces_sampler(sampling_context: dict[str, Any]) -> float:
        environ_ = sampling_context.get("wsgi_environ") or {}
        if environ_.get("PATH_INFO") in (HEALTH_PATH, READY_PATH):
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
