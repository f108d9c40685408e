"""Reads of the Docker Engine API over its unix socket, for modules that run on the host.

Standard library only, so a module needs nothing beyond the host's python3; writes stay
with the community.docker modules.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"


class DockerSocketError(Exception):
    """The engine did not answer, or answered something that is not its API: one line."""


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (the Docker Engine API)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class DockerSocket:
    """GETs of JSON documents; a 404 is None (no such container, image or network)."""

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        url = path + ("?" + urlencode(query) if query else "")
        connection = UnixHTTPConnection(self.path, self.timeout)
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise DockerSocketError(
                f"the Docker engine does not answer on {self.path}: {error or type(error).__name__}"
            ) from None
        finally:
            connection.close()
        if response.status == 404:
            return None
        if response.status != 200:
            raise DockerSocketError(
                f"the Docker engine answered HTTP {response.status} to GET {path}"
            )
        try:
            return json.loads(body)
        except ValueError:
            raise DockerSocketError(f"the Docker engine answered no JSON to GET {path}") from None

    def container(self, name: str) -> dict[str, Any] | None:
        return self.get(f"/containers/{quote(name, safe='')}/json")

    def image(self, name: str) -> dict[str, Any] | None:
        # A reference keeps its registry's slashes and its tag's colon: the engine routes them.
        return self.get(f"/images/{quote(name, safe='/:@')}/json")

    def network(self, name: str) -> dict[str, Any] | None:
        return self.get(f"/networks/{quote(name, safe='')}")

    def volume(self, name: str) -> dict[str, Any] | None:
        return self.get(f"/volumes/{quote(name, safe='')}")

    def containers(self, label: str) -> list[dict[str, Any]]:
        """Every container (running or not) that carries ``label`` (key=value)."""
        query = {"all": "1", "filters": json.dumps({"label": [label]})}
        found = self.get("/containers/json", query)
        return found if isinstance(found, list) else []
