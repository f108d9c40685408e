"""roles/django_app/tasks/ship.yml: images reach the hosts that lack them compressed, leave no
archive behind, and a host without room stops the play before anything is sent.

Two local "hosts" share this machine's engine; the controller builds (it has an engine), so
the shipped images are a tiny image of the test's own (FROM scratch, one small layer).
web1 lacks the image, web2 already has it. The archive is kept on the controller by content.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FATAL = re.compile(r"^fatal: \[([^\]]+)\]: FAILED! => (\{.*\})$", re.MULTILINE)
RESULT = re.compile(r"^(?:changed|ok): \[([^\]\s]+)(?: -> [^\]]+)?\] => (\{.*\})$", re.MULTILINE)

pytestmark = pytest.mark.docker


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if docker("info").returncode != 0:
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail("no Docker engine answers (REQUIRE_DOCKER=1)")
        pytest.skip("no Docker engine")
    context = tmp_path_factory.mktemp("tiny")
    (context / "payload").write_bytes(os.urandom(64 * 1024) + bytes(192 * 1024))
    (context / "Dockerfile").write_text("FROM scratch\nCOPY payload /payload\n")
    name = f"django-sentry-deploy/ship-test:{os.urandom(4).hex()}"
    subprocess.run(
        ["docker", "build", "-q", "-t", name, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "0"}, capture_output=True, check=True,
    )  # fmt: skip
    yield name
    docker("rmi", "--force", name)


def ship(
    tmp_path: Path, image: str, lacking: str = "web1", **extra: object
) -> subprocess.CompletedProcess[str]:
    hosts = {
        f"web{i}": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "django_app_dir": str(tmp_path / f"web{i}"),
            "django_app_missing_images": [image] if f"web{i}" == lacking else [],
        }
        for i in (1, 2)
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    play = {
        "hosts": "all",
        "gather_facts": False,
        "any_errors_fatal": True,  # as playbooks/deploy.yml prepares the hosts
        "vars": {
            "django_app_name": "shiptest",
            "django_app_archive_dir": str(tmp_path / "archives"),
            "django_app_build_host": "localhost",
            "django_app_images_to_ship": [image],
            **extra,
        },
        "tasks": [{"ansible.builtin.include_role": {"name": "django_app", "tasks_from": "ship"}}],
    }
    (tmp_path / "ship.yml").write_text(yaml.safe_dump([play]))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-v", "-i", str(tmp_path / "hosts.yml"),
         str(tmp_path / "ship.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def results(output: str, task: str) -> dict[str, dict]:
    """Each host's result of the task named `task`, from the run's JSON result lines."""
    section = output.split(f"TASK [django_app : {task}]", 1)[1].split("\nTASK [", 1)[0]
    return {host: json.loads(found) for host, found in RESULT.findall(section)}


def test_only_the_host_that_lacks_the_image_receives_it_compressed(
    tiny_image: str, tmp_path: Path
) -> None:
    first = ship(tmp_path, tiny_image)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-3000:]

    copied = results(output, "Copy the archive to the host")
    assert list(copied) == ["web1"], output[-3000:]
    assert copied["web1"]["dest"].endswith(".tar.zst")
    assert copied["web1"]["size"] < 256 * 1024  # compressed: the layer alone is 256 kB
    load_task = "Load the images into the host's engine (the archive is removed after)"
    loaded = results(output, load_task)
    assert loaded["web1"]["images"] == [tiny_image]
    # Loaded, then removed: the host keeps the images, not the archive.
    assert list((tmp_path / "web1" / "images").iterdir()) == []
    assert not (tmp_path / "web2").exists()

    # Kept on the controller by content: a second run exports nothing.
    archives = sorted((tmp_path / "archives").iterdir())
    assert [p.name for p in archives] == [Path(copied["web1"]["dest"]).name]
    second = ship(tmp_path, tiny_image)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-3000:]
    exported = results(output, "Export the images to one archive on the controller")
    assert exported["web1"]["changed"] is False
    assert sorted((tmp_path / "archives").iterdir()) == archives


def test_a_host_without_room_stops_the_play_before_anything_is_sent(
    tiny_image: str, tmp_path: Path
) -> None:
    result = ship(tmp_path, tiny_image, django_app_archive_space_factor=1e15)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]

    failures = [(host, json.loads(found)["msg"]) for host, found in FATAL.findall(output)]
    assert [host for host, _ in failures] == ["web1"], output[-3000:]
    message = failures[0][1]
    assert "\n" not in message
    assert message.startswith("too little disk space to receive and load the release's images")
    assert "django_app_archive_space_factor" in message
    assert "TASK [django_app : Copy the archive to the host]" not in output
    assert not (tmp_path / "web1" / "images").exists()


def test_images_built_on_a_host_reach_the_others_through_the_controller(
    tiny_image: str, tmp_path: Path
) -> None:
    # A controller without an engine builds on the first host (web1) and sends on to web2.
    (tmp_path / "web1" / "build").mkdir(parents=True)
    result = ship(tmp_path, tiny_image, lacking="web2", django_app_build_host="web1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]

    fetched = results(output, "Bring the archive to the controller")
    kept = tmp_path / "archives" / Path(fetched["web1"]["dest"]).name
    assert kept.name.endswith(".tar.zst") and kept.is_file()
    build_dir = Path(
        results(output, "Create a directory of the connecting user on the build host")["web1"][
            "path"
        ]
    )
    assert not build_dir.exists() and not (tmp_path / "web1" / "build").exists()
    assert list(results(output, "Copy the archive to the host")) == ["web2"]
    assert list((tmp_path / "web2" / "images").iterdir()) == []
    assert not (tmp_path / "web1" / "images").exists()
