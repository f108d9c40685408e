"""Ingest: envelopes and /store/ posts, key checks, compression, and a real sentry-sdk client."""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
import textwrap
import uuid
import zlib

import pytest
import requests
from standin_fields import API_KEY, WEB_KEY, call

AUTH = f"Sentry sentry_version=7, sentry_client=handmade/1.0, sentry_key={WEB_KEY}"


def envelope(event_id=None, items=(), with_length=True, dsn=None):
    headers = {"sent_at": "2026-01-01T00:00:00Z"}
    if event_id:
        headers["event_id"] = event_id
    if dsn:
        headers["dsn"] = dsn
    lines = [json.dumps(headers).encode()]
    for kind, payload in items:
        data = json.dumps(payload).encode()
        item = {"type": kind, "length": len(data)} if with_length else {"type": kind}
        lines += [json.dumps(item).encode(), data]
    return b"\n".join(lines) + b"\n"


def event(message="hello from a test"):
    event_id = uuid.uuid4().hex
    return event_id, {"event_id": event_id, "timestamp": "2026-01-01T00:00:00Z",
                      "platform": "python", "level": "error", "message": message}


def post(standin, body, project="4501", endpoint="envelope", headers=None, query=""):
    url = f"{standin.url}/api/{project}/{endpoint}/{query}"
    return requests.post(url, data=body, headers=headers or {}, timeout=10)


@pytest.mark.parametrize("with_length", [True, False])
def test_event_envelope_is_recorded(sentry_standin, with_length):
    event_id, payload = event()
    session = {"sid": uuid.uuid4().hex, "status": "ok"}
    body = envelope(event_id, [("event", payload), ("session", session)], with_length)
    response = post(sentry_standin, body, headers={"X-Sentry-Auth": AUTH})
    assert (response.status_code, response.json()) == (200, {"id": event_id})
    events = sentry_standin.events()
    assert [e["type"] for e in events] == ["event", "session"]
    assert events[0]["payload"]["message"] == "hello from a test"
    assert (events[0]["project_id"], events[0]["key"]) == ("4501", WEB_KEY)
    assert events[0]["event_id"] == event_id
    assert sentry_standin.requests() == []  # ingest posts are not API requests


def test_payload_with_newlines_needs_length(sentry_standin):
    event_id, payload = event()
    data = json.dumps(payload, indent=1).encode()
    body = b"\n".join([json.dumps({"event_id": event_id}).encode(),
                       json.dumps({"type": "event", "length": len(data)}).encode(), data])
    assert post(sentry_standin, body, query=f"?sentry_key={WEB_KEY}").status_code == 200
    assert sentry_standin.events()[0]["payload"]["event_id"] == event_id


def test_query_string_and_dsn_header_authenticate(sentry_standin):
    event_id, payload = event()
    by_query = post(sentry_standin, envelope(event_id, [("event", payload)]),
                    query=f"?sentry_version=7&sentry_key={WEB_KEY}")
    assert by_query.status_code == 200
    dsn = f"http://{WEB_KEY}@127.0.0.1/4501"
    by_dsn = post(sentry_standin, envelope(uuid.uuid4().hex, [("event", payload)], dsn=dsn))
    assert by_dsn.status_code == 200
    assert len(sentry_standin.events()) == 2


def test_answer_has_no_id_without_event_id(sentry_standin):
    body = envelope(None, [("client_report", {"discarded_events": []})])
    response = post(sentry_standin, body, headers={"X-Sentry-Auth": AUTH})
    assert (response.status_code, response.json()) == (200, {})


@pytest.mark.parametrize(
    ("headers", "query", "project"),
    [
        ({}, "", "4501"),
        ({"X-Sentry-Auth": "Sentry sentry_version=7, sentry_key=" + "f" * 32}, "", "4501"),
        ({"X-Sentry-Auth": AUTH}, "", "4502"),  # web's key posting to api
        ({"X-Sentry-Auth": AUTH}, f"?sentry_key={API_KEY}", "4501"),  # keys disagree
    ],
)
def test_refused_keys_are_403_and_not_recorded(sentry_standin, headers, query, project):
    event_id, payload = event()
    response = post(sentry_standin, envelope(event_id, [("event", payload)]), project=project,
                    headers=headers, query=query)
    assert response.status_code == 403
    assert response.json()["detail"]
    assert sentry_standin.events() == []


def test_deactivated_key_is_refused(sentry_standin):
    call(sentry_standin, "PUT", f"projects/acme/web/keys/{WEB_KEY}/", json={"isActive": False})
    event_id, payload = event()
    response = post(sentry_standin, envelope(event_id, [("event", payload)]),
                    headers={"X-Sentry-Auth": AUTH})
    assert response.status_code == 403
    assert sentry_standin.events() == []
    call(sentry_standin, "PUT", f"projects/acme/web/keys/{WEB_KEY}/", json={"isActive": True})
    again = post(sentry_standin, envelope(event_id, [("event", payload)]),
                 headers={"X-Sentry-Auth": AUTH})
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_compressed_envelopes(sentry_standin, encoding, compress):
    event_id, payload = event()
    body = compress(envelope(event_id, [("event", payload)]))
    response = post(sentry_standin, body,
                    headers={"X-Sentry-Auth": AUTH, "Content-Encoding": encoding})
    assert (response.status_code, response.json()) == (200, {"id": event_id})
    assert sentry_standin.events()[0]["payload"]["event_id"] == event_id


def test_brotli_is_supported_only_with_the_module(sentry_standin):
    event_id, payload = event()
    raw = envelope(event_id, [("event", payload)])
    if importlib.util.find_spec("brotli") is None:
        response = post(sentry_standin, raw, headers={"X-Sentry-Auth": AUTH,
                                                      "Content-Encoding": "br"})
        assert response.status_code == 415
        assert sentry_standin.events() == []
    else:
        import brotli

        response = post(sentry_standin, brotli.compress(raw),
                        headers={"X-Sentry-Auth": AUTH, "Content-Encoding": "br"})
        assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json\n",
        b'{"event_id":"' + b"b" * 32 + b'"}\n{"length":3}\nabc\n',  # item without type
        b'{}\n{"type":"event","length":3}\n{}\n',  # event without event_id header
        b'{"event_id":"' + b"c" * 32 + b'"}\n{"type":"event","length":99}\n{}\n',
        b'{"event_id":"' + b"d" * 32 + b'"}\n{"type":"event"}\n{}\n{"type":"event"}\n{}\n',
    ],
)
def test_malformed_envelopes_are_400(sentry_standin, body):
    response = post(sentry_standin, body, headers={"X-Sentry-Auth": AUTH})
    assert response.status_code == 400
    assert sentry_standin.events() == []


def test_store_endpoint(sentry_standin):
    event_id, payload = event("stored")
    response = post(sentry_standin, json.dumps(payload).encode(), endpoint="store",
                    headers={"X-Sentry-Auth": AUTH, "Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, {"id": event_id})
    stored = sentry_standin.events()
    assert [(e["type"], e["payload"]["message"]) for e in stored] == [("event", "stored")]


def test_ingest_delay_slows_answers(make_sentry_standin):
    standin = make_sentry_standin(ingest_delay_ms=1500)
    event_id, payload = event()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{standin.url}/api/4501/envelope/?sentry_key={WEB_KEY}",
                      data=envelope(event_id, [("event", payload)]), timeout=0.3)


SDK_SCRIPT = textwrap.dedent("""
    import sys
    import sentry_sdk

    sentry_sdk.init(dsn=sys.argv[1], release="web@1.0.0", environment="test",
                    default_integrations=False)
    event_id = sentry_sdk.capture_message("hello from sentry-sdk", level="error")
    sentry_sdk.flush(timeout=10)
    print(event_id)
""")


@pytest.mark.skipif(importlib.util.find_spec("sentry_sdk") is None,
                    reason="sentry_sdk is not installed in this environment")
def test_real_sentry_sdk_event_is_recorded(sentry_standin):
    dsn = call(sentry_standin, "GET", "projects/acme/web/keys/").json()[0]["dsn"]["public"]
    result = subprocess.run([sys.executable, "-c", SDK_SCRIPT, dsn], capture_output=True,
                            text=True, timeout=60, check=True)
    event_id = result.stdout.strip()
    events = [e for e in sentry_standin.events() if e["type"] == "event"]
    assert [e["event_id"] for e in events] == [event_id]
    payload = events[0]["payload"]
    assert payload["message"] == "hello from sentry-sdk" or \
        payload["logentry"]["message"] == "hello from sentry-sdk"
    assert (payload["release"], payload["environment"]) == ("web@1.0.0", "test")
    assert events[0]["key"] == WEB_KEY


def ingest_counts(standin):
    return {k["key"]: k for k in standin.debug("GET", "ingest")["keys"]}


def test_counts_per_key_accepted_and_refused(sentry_standin):
    for _ in range(3):
        event_id, payload = event()
        assert post(sentry_standin, envelope(event_id, [("event", payload)]),
                    headers={"X-Sentry-Auth": AUTH}).status_code == 200
    session = envelope(None, [("session", {"sid": uuid.uuid4().hex})])
    assert post(sentry_standin, session, headers={"X-Sentry-Auth": AUTH}).status_code == 200
    call(sentry_standin, "PUT", f"projects/acme/web/keys/{WEB_KEY}/", json={"isActive": False})
    event_id, payload = event()
    refused = post(sentry_standin, envelope(event_id, [("event", payload)]),
                   headers={"X-Sentry-Auth": AUTH})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "event submission rejected with_reason: ProjectId"}
    counts = ingest_counts(sentry_standin)[WEB_KEY]
    assert (counts["events_accepted"], counts["events_refused"]) == (3, 1)
    assert (counts["envelopes_accepted"], counts["envelopes_refused"]) == (4, 1)
    assert (counts["name"], counts["exists"], counts["active"]) == ("Default", True, False)
    assert sentry_standin.debug("GET", "ingest")["totals"]["events_accepted"] == 3


def test_deleted_key_is_refused_and_counted(sentry_standin):
    created = call(sentry_standin, "POST", "projects/acme/web/keys/", json={"name": "old"}).json()
    dsn = created["dsn"]["public"]
    event_id, payload = event()
    assert post(sentry_standin, envelope(event_id, [("event", payload)], dsn=dsn)).status_code \
        == 200
    call(sentry_standin, "DELETE", f"projects/acme/web/keys/{created['id']}/")
    event_id, payload = event()
    response = post(sentry_standin, envelope(event_id, [("event", payload)], dsn=dsn))
    assert response.status_code == 403
    counts = ingest_counts(sentry_standin)[created["public"]]
    assert (counts["events_accepted"], counts["events_refused"]) == (1, 1)
    assert (counts["exists"], counts["active"], counts["name"]) == (False, False, None)
    assert len(sentry_standin.events()) == 1  # only the event sent before the delete


def test_posts_without_a_key_are_counted_apart(sentry_standin):
    event_id, payload = event()
    assert post(sentry_standin, envelope(event_id, [("event", payload)])).status_code == 403
    counts = ingest_counts(sentry_standin)
    assert list(counts) == [""]
    assert counts[""]["events_refused"] == 1
    assert counts[""]["exists"] is False


def test_reset_clears_the_counts(sentry_standin):
    event_id, payload = event()
    post(sentry_standin, envelope(event_id, [("event", payload)]), headers={"X-Sentry-Auth": AUTH})
    assert ingest_counts(sentry_standin)
    sentry_standin.reset()
    assert sentry_standin.debug("GET", "ingest") == {
        "keys": [], "totals": {"events_accepted": 0, "events_refused": 0,
                               "envelopes_accepted": 0, "envelopes_refused": 0}}
