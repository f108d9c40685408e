"""Shared fixtures: a Sentry stand-in running in a background thread on a free port; the
custom modules made importable."""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ansible.module_utils
import pytest

from tools.sentry_standin import StandinServer, make_server

# The custom modules, importable the way Ansible ships them: module_utils/ files as
# ``ansible.module_utils.<name>`` and library/ modules by their own name.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(ROOT / "module_utils"))
if str(ROOT / "library") not in sys.path:
    sys.path.insert(0, str(ROOT / "library"))

FULL_TOKEN = "sntrys_test_full"
READONLY_TOKEN = "sntrys_test_readonly"
NOALERTS_TOKEN = "sntrys_test_noalerts"


class SentryStandin:
    """Handle on a running stand-in: its URL, the debug path, and auth headers."""

    org = "acme"
    full_token = FULL_TOKEN
    readonly_token = READONLY_TOKEN
    noalerts_token = NOALERTS_TOKEN

    def __init__(self, server: StandinServer) -> None:
        self.server = server
        self.url = server.url
        self.api_url = f"{server.url}/api/0"
        # A short poll interval keeps shutdown (once per stand-in) quick.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def mode(self) -> str:
        return self.server.state.mode

    def headers(self, token: str = FULL_TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def debug(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_standin/{name}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def requests(self) -> list[dict[str, Any]]:
        """API requests received so far: {method, path, query, status, body, at}."""
        return self.debug("GET", "requests")

    def events(self) -> list[dict[str, Any]]:
        """Ingested items so far: {project_id, key, type, event_id, payload, received_at}."""
        return self.debug("GET", "events")

    def state(self) -> dict[str, Any]:
        return self.debug("GET", "state")

    def reset(self, mode: str | None = None) -> None:
        self.debug("POST", "reset", {"mode": mode} if mode else {})

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Fault for the next `count` matching requests: method, path (regex), count, status
        (429|500|502|503|504), retry_after, delay_ms."""
        return self.debug("POST", "faults", rule)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def make_sentry_standin() -> Iterator[Callable[..., SentryStandin]]:
    """Factory: make_sentry_standin(mode="current", page_size=2, seed=None, public_url=None,
    ingest_delay_ms=0). Every stand-in it starts is stopped after the test."""
    started: list[SentryStandin] = []

    def start(mode: str = "current", page_size: int = 2, **options: Any) -> SentryStandin:
        standin = SentryStandin(make_server(mode=mode, page_size=page_size, **options))
        started.append(standin)
        return standin

    yield start
    for standin in started:
        standin.stop()


@pytest.fixture(scope="session")
def _shared_sentry_standin() -> Iterator[SentryStandin]:
    standin = SentryStandin(make_server(mode="current", page_size=2))
    yield standin
    standin.stop()


@pytest.fixture
def sentry_standin(_shared_sentry_standin: SentryStandin) -> SentryStandin:
    """A stand-in in current mode with a page size of 2, so lists span several pages.
    Shared by the session and reset to its seed (requests, events, faults cleared) per test."""
    _shared_sentry_standin.reset("current")
    return _shared_sentry_standin
