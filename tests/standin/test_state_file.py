"""--state-file: what the API and the ingest changed survives a restart of the stand-in."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from standin_fields import FULL

from tools.sentry_standin import StandinServer, make_server
from tools.sentry_standin.state import SeedError

HEADERS = {"Authorization": f"Bearer {FULL}"}
ENVELOPE = (
    b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n'
    b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","environment":"demo","release":"web@1"}\n'
)
AUTH = "Sentry sentry_version=7, sentry_key=0a1b2c3d4e5f40718293a4b5c6d74501"


@pytest.fixture
def start() -> Iterator[Callable[..., StandinServer]]:
    servers: list[StandinServer] = []

    def run(state_file: Path) -> StandinServer:
        server = make_server("127.0.0.1", 0, state_file=state_file)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield run
    for server in servers:
        server.shutdown()
        server.server_close()


def test_writes_and_events_survive_a_restart(start, tmp_path):
    path = tmp_path / "state.json"
    first = start(path)
    release = requests.post(f"{first.url}/api/0/organizations/acme/releases/", headers=HEADERS,
                            json={"version": "web@1", "projects": ["web"]}, timeout=5)
    assert release.status_code == 201
    event = requests.post(f"{first.url}/api/4501/envelope/", data=ENVELOPE,
                          headers={"X-Sentry-Auth": AUTH}, timeout=5)
    assert event.status_code == 200
    assert path.stat().st_mode & 0o777 == 0o600
    first.shutdown()
    first.server_close()

    second = start(path)
    state = requests.get(f"{second.url}/_standin/state", timeout=5).json()
    assert [r["version"] for r in state["releases"]] == ["web@1"]
    assert "demo" in state["environments"]
    events = requests.get(f"{second.url}/_standin/events", timeout=5).json()
    assert [e["event_id"] for e in events] == ["9ec79c33ec9942ab8353589fcb2e04dc"]
    assert requests.get(f"{second.url}/_standin/requests", timeout=5).json() == []


def test_reads_leave_no_state_file(start, tmp_path):
    path = tmp_path / "state.json"
    server = start(path)
    assert requests.get(f"{server.url}/api/0/organizations/acme/", headers=HEADERS,
                        timeout=5).status_code == 200
    assert not path.exists()


def test_a_broken_state_file_is_a_clear_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"mode": "current"}))
    with pytest.raises(SeedError, match=r"state file .* lacks _next_id, detectors, .*org"):
        make_server("127.0.0.1", 0, state_file=path)
