"""What django_app_host_info finds on a host against a deploy's goal: each drift with the
concern that repairs it, nothing to do when the host is as the deploy leaves it, and the
Docker Engine API read over a real unix socket."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible.module_utils.host_files import file_drift
from ansible.module_utils.host_state import SETTINGS_LABEL, read_state
from ansible.module_utils.release_records import record_serving

SERVING = "web-1.0-aa-c0"
PROXY = {"name": "web-proxy", "image": "web-proxy:p1", "settings": "s1"}
UID, GID = os.getuid(), os.getgid()


class FakeDocker:
    """The engine's documents by name, as DockerSocket returns them (None: 404)."""

    def __init__(self) -> None:
        healthy = {"Running": True, "Status": "running", "Health": {"Status": "healthy"}}
        self.containers_by_name: dict[str, dict[str, Any]] = {
            SERVING: {"State": dict(healthy), "Config": {"Image": "web:1.0-aa"}},
            "web-proxy": {"State": {"Running": True},
                          "Config": {"Image": "web-proxy:p1", "Labels": {SETTINGS_LABEL: "s1"}}},
        }
        self.images = {"web:1.0-aa", "web-proxy:p1"}
        self.networks = {"web"}
        self.volumes: set[str] = set()
        self.labelled = [{"Names": [f"/{SERVING}"]}]

    def container(self, name: str) -> dict[str, Any] | None:
        return self.containers_by_name.get(name)

    def image(self, name: str) -> dict[str, Any] | None:
        return {"Id": name} if name in self.images else None

    def network(self, name: str) -> dict[str, Any] | None:
        return {"Name": name} if name in self.networks else None

    def volume(self, name: str) -> dict[str, Any] | None:
        return {"Name": name} if name in self.volumes else None

    def containers(self, label: str) -> list[dict[str, Any]]:
        assert label == "org.django-sentry-deploy.app=web"
        return self.labelled


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture
def host(tmp_path: Path) -> dict[str, Any]:
    """A host that serves release 1.0 exactly as the deploy leaves it, and the deploy's goal."""
    app_dir = tmp_path / "web"
    (app_dir / "config" / SERVING).mkdir(parents=True)
    (app_dir / "config" / SERVING / ".env").write_text("SENTRY_DSN=x\n")
    os.chmod(app_dir / "config" / SERVING / ".env", 0o440)
    (app_dir / "proxy").mkdir(mode=0o750)
    os.chmod(app_dir / "proxy", 0o750)
    (app_dir / "proxy" / "nginx.conf").write_text("events {}\n")
    record_serving(str(app_dir), {"tag": "1.0-aa", "version": "1.0", "revision": "",
                                  "image": "web:1.0-aa", "container": SERVING, "env": {}})
    owner = {"owner": str(UID), "group": str(GID)}
    files = [
        {"path": str(app_dir / "proxy"), "state": "directory", "mode": "0750",
         "concern": "directories", **owner},
        {"path": str(app_dir / "config" / SERVING / ".env"), "state": "file", "mode": "0440",
         "checksum": sha1("SENTRY_DSN=x\n"), "concern": "env", **owner},
        {"path": str(app_dir / "proxy" / "nginx.conf"), "state": "file",
         "checksum": sha1("events {}\n"), "concern": "proxy"},
        {"path": str(app_dir / "proxy" / "tls.key"), "state": "absent", "concern": "proxy"},
    ]
    return {"app_dir": str(app_dir), "name": "web", "container": SERVING,
            "images": ["web:1.0-aa", "web-proxy:p1"], "volume": "", "proxy": PROXY, "files": files}


def test_a_host_as_the_deploy_leaves_it_has_nothing_to_do(host: dict[str, Any]) -> None:
    state = read_state(host, FakeDocker())
    assert state["todo"] == [] and state["drift"] == []
    assert state["serving"] == SERVING and state["missing_images"] == []
    assert state["current"] == {"exists": True, "running": True, "health": "healthy"}


def test_each_change_names_its_concern_and_only_that(host: dict[str, Any]) -> None:
    app_dir = Path(host["app_dir"])
    os.unlink(app_dir / "proxy" / "nginx.conf")
    os.chmod(app_dir / "config" / SERVING / ".env", 0o644)
    docker = FakeDocker()
    docker.containers_by_name[SERVING]["State"] = {"Running": False, "Status": "exited"}
    state = read_state(host, docker)
    assert state["todo"] == ["env", "proxy", "switch"]
    assert f"{app_dir}/proxy/nginx.conf: missing" in state["drift"]
    assert f"{app_dir}/config/{SERVING}/.env: mode 0644, not 0440" in state["drift"]
    assert f"release: container {SERVING} is exited" in state["drift"]


def test_a_new_release_lacks_its_image_and_switches(host: dict[str, Any]) -> None:
    state = read_state({**host, "container": "web-1.1-bb-c0",
                        "images": ["web:1.1-bb", "web-proxy:p1"]}, FakeDocker())
    assert state["missing_images"] == ["web:1.1-bb"]
    assert state["todo"] == ["drain", "images", "switch"]
    assert f"release: serves {SERVING}, not web-1.1-bb-c0" in state["drift"]


@pytest.mark.parametrize(("change", "concern"), [
    ({"State": {"Running": True}, "Config": {"Image": "web-proxy:p0",
                                              "Labels": {SETTINGS_LABEL: "s1"}}}, "proxy"),
    ({"State": {"Running": True}, "Config": {"Image": "web-proxy:p1",
                                              "Labels": {SETTINGS_LABEL: "old"}}}, "proxy"),
    ({"State": {"Running": False}, "Config": {"Image": "web-proxy:p1",
                                               "Labels": {SETTINGS_LABEL: "s1"}}}, "proxy"),
    (None, "proxy"),
])
def test_a_proxy_with_another_image_settings_or_state_is_started_again(
    host: dict[str, Any], change: dict[str, Any] | None, concern: str
) -> None:
    docker = FakeDocker()
    docker.containers_by_name.pop("web-proxy")
    if change is not None:
        docker.containers_by_name["web-proxy"] = change
    assert read_state(host, docker)["todo"] == [concern]


def test_an_unhealthy_serving_container_switches_again(host: dict[str, Any]) -> None:
    docker = FakeDocker()
    docker.containers_by_name[SERVING]["State"]["Health"] = {"Status": "unhealthy"}
    assert read_state(host, docker)["todo"] == ["switch"]


def test_leftovers_of_a_killed_run_are_found(host: dict[str, Any]) -> None:
    app_dir = Path(host["app_dir"])
    (app_dir / "deploy.lock").write_text("{}")
    (app_dir / "out-of-rotation").write_text(SERVING)
    docker = FakeDocker()
    docker.labelled.append({"Names": ["/web-0.9-zz-c0"]})
    docker.networks.clear()
    state = read_state({**host, "volume": "web-data"}, docker)
    assert state["todo"] == ["drain", "lock", "network", "readmit", "volume"]
    assert "release: older containers web-0.9-zz-c0" in state["drift"]


def test_a_first_deploy_finds_no_release_and_no_proxy(tmp_path: Path) -> None:
    docker = FakeDocker()
    docker.containers_by_name.clear()
    docker.images.clear()
    docker.labelled.clear()
    state = read_state({"app_dir": str(tmp_path / "absent"), "name": "web", "container": SERVING,
                        "images": ["web:1.0-aa"], "volume": "", "proxy": PROXY, "files": []},
                       docker)
    assert state["serving"] == "" and state["current"]["exists"] is False
    assert state["todo"] == ["images", "proxy", "switch"]


def test_without_a_proxy_goal_the_proxy_is_not_compared(host: dict[str, Any]) -> None:
    docker = FakeDocker()
    docker.containers_by_name.pop("web-proxy")
    assert read_state({**host, "proxy": None, "images": []}, docker)["todo"] == []


@pytest.mark.parametrize(("expected", "drift"), [
    ({"state": "directory"}, "not a directory"),
    ({"state": "file", "mode": "0600"}, "mode 0640, not 0600"),
    ({"state": "file", "owner": str(UID + 1)}, f"owner {UID}, not {UID + 1}"),
    ({"state": "file", "group": str(GID + 1)}, f"group {GID}, not {GID + 1}"),
    ({"state": "file", "checksum": sha1("other")}, "content differs"),
    ({"state": "absent"}, "present"),
    ({"state": "file", "mode": "0640", "owner": "root" if UID == 0 else str(UID),
      "checksum": sha1("content")}, None),
])
def test_a_file_is_compared_by_kind_mode_owner_group_and_content(
    tmp_path: Path, expected: dict[str, Any], drift: str | None
) -> None:
    path = tmp_path / "file"
    path.write_text("content")
    os.chmod(path, 0o640)
    assert file_drift({"path": str(path), **expected}) == drift


def test_the_engine_is_read_over_its_socket(engine: tuple[str, Any]) -> None:
    path, handler = engine
    handler.answers["/containers/web-proxy/json"] = (200, json.dumps({"State": {}}).encode())
    handler.answers["/images/registry.example:5000/acme/web:1.0/json"] = (200, b"{}")
    handler.answers["/containers/json"] = (200, b'[{"Names": ["/web-1"]}]')
    docker = DockerSocket(path)
    assert docker.container("web-proxy") == {"State": {}}
    assert docker.container("web-absent") is None
    assert docker.image("registry.example:5000/acme/web:1.0") == {}
    assert docker.containers("org.django-sentry-deploy.app=web") == [{"Names": ["/web-1"]}]
    assert "filters=%7B%22label%22%3A+%5B%22org.django-sentry-deploy.app%3Dweb%22%5D%7D" in \
        handler.seen[-1][1]


@pytest.mark.parametrize(("answer", "message"), [
    ((500, b'{"message": "boom"}'), "answered HTTP 500 to GET /networks/web"),
    ((200, b"<html>"), "answered no JSON to GET /networks/web"),
])
def test_an_engine_that_errs_is_one_clear_line(
    engine: tuple[str, Any], answer: tuple[int, bytes], message: str
) -> None:
    path, handler = engine
    handler.answers["/networks/web"] = answer
    with pytest.raises(DockerSocketError, match=message):
        DockerSocket(path).network("web")


def test_an_engine_that_is_not_there_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DockerSocketError, match=r"does not answer on .*absent\.sock"):
        DockerSocket(str(tmp_path / "absent.sock")).network("web")
