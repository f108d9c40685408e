"""django_app_proxy_listener's logic: the listener's file written through a rename with its
owner and mode, then proxy-reload run in the proxy container over the Docker Engine API, its
exit code and nginx's words in the error; check mode touches nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.docker_socket import DockerSocket, demultiplex
from ansible.module_utils.proxy_listener import ListenerError, point

CONTENT = "set $app_upstream http://web-1.0-aa-c0:8000;\n"


def frame(stream: int, text: str) -> bytes:
    data = text.encode()
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def engine_answers(handler: Any, exit_code: int, output: bytes) -> None:
    handler.answers["/containers/web-proxy/exec"] = (201, b'{"Id": "e1"}')
    handler.answers["/exec/e1/start"] = (200, output)
    handler.answers["/exec/e1/json"] = (200, json.dumps({"ExitCode": exit_code}).encode())


def params(path: Path, socket_path: str) -> dict[str, Any]:
    return {"path": str(path), "content": CONTENT, "container": "web-proxy", "reload": True,
            "mode": "0444", "owner": str(os.getuid()), "group": str(os.getgid()),
            "docker_socket": socket_path}


def test_the_file_is_written_then_the_proxy_reloaded(tmp_path: Path, engine: Any) -> None:
    socket_path, handler = engine
    engine_answers(handler, 0, b"")
    target = tmp_path / "candidate.conf"
    result = point(params(target, socket_path), DockerSocket(socket_path), check_mode=False)
    assert result == {"changed": True, "written": True}
    assert target.read_text() == CONTENT and oct(target.stat().st_mode & 0o7777) == "0o444"
    assert [(method, path) for method, path, _ in handler.seen] == [
        ("POST", "/containers/web-proxy/exec"), ("POST", "/exec/e1/start"),
        ("GET", "/exec/e1/json"),
    ]
    assert json.loads(handler.seen[0][2])["Cmd"] == ["proxy-reload"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["candidate.conf", "docker.sock"]


def test_the_proxy_is_reloaded_even_when_the_file_holds_it(tmp_path: Path, engine: Any) -> None:
    socket_path, handler = engine
    engine_answers(handler, 0, b"")
    target = tmp_path / "live.conf"
    target.write_text(CONTENT)
    os.chmod(target, 0o444)
    result = point(params(target, socket_path), DockerSocket(socket_path), check_mode=False)
    assert result == {"changed": True, "written": False}
    assert len(handler.seen) == 3


def test_nginx_refusing_the_reload_is_an_error_in_its_words(tmp_path: Path, engine: Any) -> None:
    socket_path, handler = engine
    engine_answers(handler, 1, frame(2, 'nginx: [emerg] unknown directive "sett"\n'))
    with pytest.raises(ListenerError, match=r'refused the reload \(exit code 1\): nginx: \[emerg\] '
                                            r'unknown directive "sett"$'):
        point(params(tmp_path / "live.conf", socket_path), DockerSocket(socket_path), False)


def test_check_mode_writes_and_reloads_nothing(tmp_path: Path, engine: Any) -> None:
    socket_path, handler = engine
    target = tmp_path / "live.conf"
    result = point(params(target, socket_path), DockerSocket(socket_path), check_mode=True)
    assert result == {"changed": True, "written": True}
    assert not target.exists() and handler.seen == []


def test_a_proxy_that_does_not_exist_is_a_clear_error(tmp_path: Path, engine: Any) -> None:
    socket_path, _ = engine
    with pytest.raises(Exception, match="answered HTTP 404 to POST /containers/web-proxy/exec"):
        point(params(tmp_path / "live.conf", socket_path), DockerSocket(socket_path), False)


def test_an_attached_stream_is_read_frame_by_frame() -> None:
    assert demultiplex(frame(1, "ok\n") + frame(2, "warn\n")) == "ok\nwarn\n"
    assert demultiplex(b"") == ""
