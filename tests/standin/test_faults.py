"""Fault injection: 429 with rate-limit headers, 5xx for N requests then recovery, slow answers."""

from __future__ import annotations

import time
import urllib.error

import pytest
import requests
from standin_fields import WEB_KEY, call

ORG = "organizations/acme/"


def statuses(standin):
    return [r["status"] for r in standin.requests()]


def test_429_carries_retry_after_and_rate_limit_headers(sentry_standin):
    sentry_standin.add_fault(status=429, count=1, retry_after=7)
    limited = call(sentry_standin, "GET", ORG)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["X-Sentry-Rate-Limit-Remaining"] == "0"
    reset = int(limited.headers["X-Sentry-Rate-Limit-Reset"])
    assert reset >= int(time.time()) + 5
    assert limited.headers["X-Sentry-Rate-Limit-Limit"].isdigit()
    assert "detail" in limited.json()
    assert call(sentry_standin, "GET", ORG).status_code == 200
    assert statuses(sentry_standin) == [429, 200]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_for_count_requests_then_recovery(sentry_standin, status):
    sentry_standin.add_fault(status=status, count=2)
    answers = [call(sentry_standin, "GET", ORG) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert statuses(sentry_standin) == [status, status, 200]
    if status != 500:
        assert answers[0].headers["Content-Type"] == "text/html"


def test_fault_matches_method_and_path(sentry_standin):
    sentry_standin.add_fault(method="POST", path=r"/keys/$", status=503, count=1)
    assert call(sentry_standin, "GET", "projects/acme/web/keys/").status_code == 200
    assert call(sentry_standin, "POST", "organizations/acme/releases/",
                json={"version": "a@1", "projects": ["web"]}).status_code == 201
    assert call(sentry_standin, "POST", "projects/acme/web/keys/", json={}).status_code == 503
    assert call(sentry_standin, "POST", "projects/acme/web/keys/", json={}).status_code == 201
    assert sentry_standin.debug("GET", "faults") == []


def test_failed_write_changes_nothing(sentry_standin):
    sentry_standin.add_fault(method="POST", status=500, count=1)
    call(sentry_standin, "POST", "projects/acme/web/keys/", json={"name": "lost"})
    assert [k["name"] for k in sentry_standin.state()["keys"]] == ["Default", "Default"]


def test_delay_alone_slows_then_answers_normally(sentry_standin):
    sentry_standin.add_fault(delay_ms=1500, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(sentry_standin, "GET", ORG, timeout=0.3)
    assert call(sentry_standin, "GET", ORG, timeout=5).status_code == 200


def test_ingest_is_faulted_only_by_an_explicit_path(sentry_standin):
    sentry_standin.add_fault(status=429, count=1)
    envelope = b'{"event_id":"' + b"a" * 32 + b'"}\n{"type":"event"}\n{"message":"x"}\n'
    url = f"{sentry_standin.url}/api/4501/envelope/?sentry_key={WEB_KEY}"
    assert requests.post(url, data=envelope, timeout=5).status_code == 200
    sentry_standin.reset()
    sentry_standin.add_fault(path=r"^/api/\d+/envelope/$", status=429, retry_after=3)
    limited = requests.post(url, data=envelope, timeout=5)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert limited.headers["X-Sentry-Rate-Limits"].startswith("3:")
    assert sentry_standin.events() == []


@pytest.mark.parametrize(
    "rule",
    [{"status": 404}, {"count": 0, "status": 500}, {"method": "PATCH", "status": 500},
     {"path": "(", "status": 500}, {}, {"status": 429, "retry_after": -1}],
)
def test_bad_fault_rules_are_refused(sentry_standin, rule):
    with pytest.raises(urllib.error.HTTPError) as error:
        sentry_standin.add_fault(**rule)
    assert error.value.code == 400
    assert sentry_standin.debug("GET", "faults") == []


def test_reset_clears_faults_requests_and_state(sentry_standin):
    sentry_standin.add_fault(status=500, count=5)
    call(sentry_standin, "POST", "organizations/acme/releases/",
         json={"version": "a@1", "projects": ["web"]})
    sentry_standin.reset()
    assert sentry_standin.requests() == []
    assert sentry_standin.debug("GET", "faults") == []
    assert call(sentry_standin, "GET", ORG).status_code == 200


def test_pending_faults_can_be_dropped_without_a_reset(sentry_standin):
    sentry_standin.add_fault(status=503, count=100)
    assert call(sentry_standin, "GET", ORG).status_code == 503

    assert sentry_standin.debug("DELETE", "faults") is None
    assert sentry_standin.debug("GET", "faults") == []
    assert call(sentry_standin, "GET", ORG).status_code == 200
