"""The runtime's Sentry transport against the stand-in's ingest: errors are never crowded out."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runtime"))
from django_sentry_deploy.sentry.budget import TraceBudget
from django_sentry_deploy.sentry.sampler import make_traces_sampler
from django_sentry_deploy.sentry.transport import PriorityTransport

PUBLIC_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"  # the stand-in's seeded key for `web`


@pytest.fixture
def slow_ingest_client(make_sentry_standin: Callable[..., Any]) -> Iterator[tuple[Any, Any]]:
    standin = make_sentry_standin(ingest_delay_ms=100)
    host_port = standin.url.split("://", 1)[1]
    client = sentry_sdk.Client(
        dsn=f"http://{PUBLIC_KEY}@{host_port}/4501",
        transport=PriorityTransport,
        transport_queue_size=5,
        default_integrations=False,
        send_client_reports=False,
    )
    yield client, standin
    client.close(timeout=0)


def envelope(kind: str) -> Envelope:
    item = {"event_id": uuid.uuid4().hex, "timestamp": 1_700_000_000.0, "platform": "python"}
    result = Envelope(headers={"event_id": item["event_id"]})
    if kind == "event":
        result.add_event({**item, "message": "boom", "level": "error"})
    else:
        result.add_transaction({**item, "type": "transaction", "transaction": "/", "spans": []})
    return result


def test_errors_survive_a_full_telemetry_queue(
    slow_ingest_client: tuple[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    client, standin = slow_ingest_client
    transport = client.transport
    assert isinstance(transport, PriorityTransport)

    with caplog.at_level(logging.WARNING, logger="django_sentry_deploy.sentry"):
        for _ in range(40):
            transport.capture_envelope(envelope("transaction"))
        assert not transport.is_healthy()  # the SDK's backpressure handling sees this
        for _ in range(30):
            transport.capture_envelope(envelope("event"))
        transport.flush(timeout=30)

    received = standin.events()
    assert sum(1 for e in received if e["type"] == "event") == 30
    transactions = sum(1 for e in received if e["type"] == "transaction")
    assert 0 < transactions < 40
    shed = [r.getMessage() for r in caplog.records if "Sentry shed" in r.getMessage()]
    assert shed and "full_queue" in shed[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_pending_shed_count_is_logged_when_the_client_closes(
    slow_ingest_client: tuple[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = slow_ingest_client
    with caplog.at_level(logging.WARNING, logger="django_sentry_deploy.sentry"):
        for _ in range(40):
            client.transport.capture_envelope(envelope("transaction"))
        client.close(timeout=0)

    shed = [r.getMessage() for r in caplog.records if "Sentry shed" in r.getMessage()]
    assert len(shed) == 2  # the first drop at once, the rest when the client closed
    first, rest = (int(re.search(r"(\d+) full_queue", line).group(1)) for line in shed)
    assert first == 1 and rest > 0


def test_trace_budget_sheds_only_above_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("django_sentry_deploy.sentry.budget.time.monotonic", lambda: clock[0])
    sampler = make_traces_sampler(1.0, TraceBudget(5))
    page = {"wsgi_environ": {"PATH_INFO": "/"}, "parent_sampled": None}

    assert [sampler(page) for _ in range(7)] == [1.0] * 5 + [0.0] * 2
    clock[0] += 0.5  # two and a half tokens back
    assert [sampler(page) for _ in range(3)] == [1.0, 1.0, 0.0]
    clock[0] += 60  # the bucket holds one second's worth at most
    assert [sampler(page) for _ in range(6)] == [1.0] * 5 + [0.0]
    # An upstream decision and the health check are not subject to the budget.
    assert sampler({**page, "parent_sampled": True}) == 1.0
    health = {"wsgi_environ": {"PATH_INFO": "/healthz"}, "parent_sampled": True}
    assert sampler(health) == 0.0
