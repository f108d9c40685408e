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
    """The engine's API: GETs of JSON documents (a 404 is None: no such container, image or
    network) and the one write the role needs from a module, running a command in a container."""

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout

    def _request(self, method: str, path: str, query: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        url = path + ("?" + urlencode(query) if query else "")
        connection = UnixHTTPConnection(self.path, self.timeout)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            connection.request(method, url, json.dumps(body) if body is not None else None, headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            raise DockerSocketError(
                f"the Docker engine does not answer on {self.path}: {error or type(error).__name__}"
            ) from None
        finally:
            connection.close()

    def _json(self, method: str, path: str, status: int, answer: bytes) -> Any:
        if status not in (200, 201):
            raise DockerSocketError(f"the Docker engine answered HTTP {status} to {method} {path}")
        try:
            return json.loads(answer)
        except ValueError:
            raise DockerSocketError(
                f"the Docker engine answered no JSON to {method} {path}"
            ) from None

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        status, answer = self._request("GET", path, query)
        return None if status == 404 else self._json("GET", path, status, answer)

    def exec_run(self, container: str, argv: list[str]) -> tuple[int, str]:
        """Run ``argv`` in the running ``container``: its exit code and its output."""
        created = f"/containers/{quote(container, safe='')}/exec"
        status, answer = self._request(
            "POST", created, body={"Cmd": argv, "AttachStdout": True, "AttachStderr": True})
        exec_id = self._json("POST", created, status, answer)["Id"]
        started = f"/exec/{quote(exec_id, safe='')}/start"
        status, stream = self._request("POST", started, body={"Detach": False, "Tty": False})
        if status != 200:
            raise DockerSocketError(f"the Docker engine answered HTTP {status} to POST {started}")
        done = self.get(f"/exec/{quote(exec_id, safe='')}/json") or {}
        return done.get("ExitCode", -1), demultiplex(stream)

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


def demultiplex(stream: bytes) -> str:
    """The text of an attached stream: frames of an 8-byte header (stream, size) and data."""
    chunks, offset = [], 0
    while offset + 8 <= len(stream):
        size = int.from_bytes(stream[offset + 4:offset + 8], "big")
        chunks.append(stream[offset + 8:offset + 8 + size])
        offset += 8 + size
    return b"".join(chunks).decode("utf-8", "replace")
