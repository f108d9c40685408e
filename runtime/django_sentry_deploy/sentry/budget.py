"""A per-process cap on traced requests (token bucket)."""

from __future__ import annotations

import threading
import time


class TraceBudget:
    """At most `per_second` traced requests per second in this process.

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
