"""HTTP plumbing: chunked bodies, keep-alive, and bodies that are not JSON."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from standin_fields import FULL, call

HEADERS = {"Authorization": f"Bearer {FULL}", "Content-Type": "application/json"}


def connect(standin):
    return http.client.HTTPConnection(urlsplit(standin.url).netloc, timeout=10)


def test_chunked_body_on_a_kept_alive_connection(sentry_standin):
    connection = connect(sentry_standin)
    chunks = iter([b'{"version": "web@7", ', b'"projects": ["web"]}'])
    connection.request("POST", "/api/0/organizations/acme/releases/", body=chunks,
                       headers=HEADERS, encode_chunked=True)
    created = connection.getresponse()
    assert (created.status, json.loads(created.read())["version"]) == (201, "web@7")
    connection.request("GET", "/api/0/organizations/acme/releases/web@7/", headers=HEADERS)
    again = connection.getresponse()
    assert again.status == 200
    assert json.loads(again.read())["version"] == "web@7"
    connection.close()


def test_body_that_is_not_json_is_400_and_logged(sentry_standin):
    response = call(sentry_standin, "POST", "organizations/acme/releases/", data=b"{oops",
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert [(r["method"], r["status"], r["body"]) for r in sentry_standin.requests()] == [
        ("POST", 400, None)]
    assert sentry_standin.state()["releases"] == []
