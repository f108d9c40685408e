"""A Docker Engine API stand-in on a unix socket: canned answers by path, requests kept."""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest


class EngineHandler(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}
    seen: ClassVar[list[tuple[str, str, bytes]]] = []

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append((self.command, self.path, self.rfile.read(length)))
        status, body = self.answers.get(self.path.split("?")[0], (404, b'{"message": "no"}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args: Any) -> None:
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self) -> tuple[Any, Any]:
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[str, type[EngineHandler]]]:
    path = str(tmp_path / "docker.sock")
    handler = type("Handler", (EngineHandler,), {"answers": {}, "seen": []})
    server = UnixServer(path, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path, handler
    server.shutdown()
    server.server_close()
