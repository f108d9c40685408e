"""The app scenarios' platform image holds the docker_engine role's packages: the list is read
from the role (docker/base/docker_engine_packages.py), follows every variable the role's install
tasks name, and the built images hold each package."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "base" / "docker_engine_packages.py"
INSTALL_TASKS = ROOT / "roles" / "docker_engine" / "tasks" / "install.yml"
IMAGE = "django-sentry-deploy/molecule-docker-debian:{version}"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docker_engine_packages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


packages_script = load_script()


def apt_name_variables() -> set[str]:
    """The role variables in the `name` of every apt task that installs packages."""
    names: set[str] = set()
    for task in yaml.safe_load(INSTALL_TASKS.read_text()):
        apt = task.get("ansible.builtin.apt") or {}
        if "name" in apt:
            names.update(re.findall(r"\bdocker_engine_\w+", apt["name"]))
    return names


def test_the_list_follows_every_variable_the_install_tasks_name() -> None:
    assert apt_name_variables() == set(packages_script.PACKAGE_VARIABLES)


@pytest.mark.parametrize(("version", "cli"), [("12", []), ("13", ["docker-cli"])])
def test_the_list_is_the_roles(version: str, cli: list[str]) -> None:
    role = packages_script.role_variables()
    assert packages_script.packages(version, role) == [
        role["docker_engine_package"],
        *cli,
        *role["docker_engine__archive_packages"],
        *role["docker_engine_python_packages"],
    ]


def test_a_pinned_engine_version_is_pinned_in_the_list() -> None:
    role = packages_script.role_variables() | {"docker_engine_version": "20.10.24+dfsg1-1"}
    assert packages_script.packages("12", role)[0] == "docker.io=20.10.24+dfsg1-1"


def test_an_unsupported_version_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert packages_script.main(["docker_engine_packages.py", "11"]) == 2
    assert capsys.readouterr().err == "error: the docker_engine role does not support Debian 11\n"


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.docker
@pytest.mark.parametrize("version", ["12", "13"])
def test_the_built_image_holds_the_packages_with_the_engine_off(version: str) -> None:
    image = IMAGE.format(version=version)
    try:
        present = docker("image", "inspect", image).returncode == 0
    except OSError:
        present = False
    if not present:
        # `make test` sets REQUIRE_DOCKER=1: there a missing image is a failure, not a skip.
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail(f"no {image} (REQUIRE_DOCKER=1): run `make setup`")
        pytest.skip(f"no {image}")
    role = packages_script.role_variables()
    wanted = [p.split("=")[0] for p in packages_script.packages(version, role)]
    script = (
        "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' \"$@\"; "
        "systemctl is-enabled docker.service docker.socket; test ! -e /etc/docker/daemon.json"
    )
    result = docker("run", "--rm", "--entrypoint", "sh", image, "-c", script, "sh", *wanted)
    *statuses, service, socket = result.stdout.splitlines()
    assert sorted(statuses) == sorted(f"{p} installed" for p in wanted)
    assert (service, socket) == ("disabled", "disabled")
    assert result.returncode == 0, result.stderr
