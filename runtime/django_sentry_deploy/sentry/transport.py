"""Two lanes to Sentry: error events are never crowded out by transactions and profiles."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import HttpTransport, Transport

LOGGER_NAME = "django_sentry_deploy.sentry"
log = logging.getLogger(LOGGER_NAME)


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

    def wait_idle(self, timeout: float) -> bool:
        """True once everything queued before the call was handled, within `timeout`."""
        done = threading.Event()
        # The sender thread works through its queue in order: once this marker has
        # run, every envelope queued before it was sent (or dropped).
        return self._worker.submit(done.set) and done.wait(timeout)


class _DropLog:
    """Reports dropped telemetry in one log line per interval (the first one at once)."""

    def __init__(self, interval: float = 60.0) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._last_report = -interval
        self.errors_lost = 0
        self.last_error_loss: str | None = None

    def record(self, lane: str, reason: str) -> None:
        if lane == "errors":
            # Errors are the point of Sentry: every loss gets a line of its own.
            self.errors_lost += 1
            self.last_error_loss = reason
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

    @property
    def errors_lost(self) -> int:
        """Error envelopes lost so far: refused by the ingest, unreachable, queue full..."""
        return self._drops.errors_lost

    @property
    def last_error_loss(self) -> str | None:
        """Why the last one was lost (`network`, `status_403`, `full_queue`...)."""
        return self._drops.last_error_loss

    def wait_for_errors(self, timeout: float) -> bool:
        """True once every error event queued so far was sent or dropped, within `timeout`."""
        return self._errors.wait_idle(timeout)

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
