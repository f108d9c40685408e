"""A project that cannot be deployed stops playbooks/deploy.yml with one line and touches nothing.

Each case copies a generated Django 5.2 project (startproject + startapp, nobody here wrote
it), breaks it in one way and deploys it to two local "hosts". The play must fail with one
message naming the problem and the file, print no traceback, create neither host's app
directory, start no container, leave no image of the app, and leave the project's files
byte for byte as they were. Problems found in the project's files stop on the controller;
the ones only an install or an import shows stop the image build (Docker).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.projects.generate import generate

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE_IMAGE = "django-sentry-deploy/debian:12"
GOOD_VALUES = {
    "django_app_sentry_dsn": "https://0123456789abcdef0123456789abcdef@o1.ingest.example.com/42",
    "django_app_secret_key": "Zq8#xv2!Lm9@Tr4$Wn7%Yp1^Ks6&Hd3*Bf5(Gj0)Qc-Ve=Ua+Nx_Rtkkkk",
    "django_app_database_url": "postgres://web:db-password-123@db.example.com:5432/web",
    "django_app_record_release": False,
}
FATAL = re.compile(r"^fatal: \[[^\]]+\]: FAILED! => (\{.*\})$", re.MULTILINE)
ANSI_ESCAPE = "\x1b["


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=60, check=False
    )


def engine_answers() -> bool:
    try:
        return docker("image", "inspect", BASE_IMAGE).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture
def docker_engine() -> None:
    if not engine_answers():
        # `make test` sets REQUIRE_DOCKER=1: there a missing engine is a failure, not a skip.
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail(f"no Docker engine with {BASE_IMAGE} (REQUIRE_DOCKER=1)")
        pytest.skip(f"no Docker engine with {BASE_IMAGE}")


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate("django52", tmp_path_factory.mktemp("generated") / "django52")


@pytest.fixture
def project(tmp_path: Path, generated_project: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(generated_project, copy, symlinks=True)
    return copy.resolve()


def snapshot(project: Path) -> dict[str, tuple[int, str]]:
    """Every file, link and directory of the project: its mode and content."""
    found: dict[str, tuple[int, str]] = {}
    for current, dirs, files in os.walk(project):
        for name in [*dirs, *files]:
            path = Path(current) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                content = "link:" + os.readlink(path)
            elif stat.S_ISDIR(info.st_mode):
                content = "dir"
            else:
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            found[path.relative_to(project).as_posix()] = (info.st_mode, content)
    return found


def deploy(tmp_path: Path, project: Path, name: str) -> subprocess.CompletedProcess[str]:
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    hosts = {
        f"web{i}": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "django_app_dir": str(tmp_path / f"web{i}"),
        }
        for i in (1, 2)
    }
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"children": {"app_hosts": {"hosts": hosts}}}})
    )
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        yaml.safe_dump({
            **GOOD_VALUES,
            "django_app_name": name,
            "django_app_project_dir": str(project),
            "django_app_archive_dir": str(tmp_path / "archives"),
        })
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        # Results as one JSON line each, so the test reads the failure's message exactly.
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-v", "-i", str(inventory), "playbooks/deploy.yml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )


def app_leftovers(name: str) -> list[str]:
    """Containers labelled as the app's and images of its repository."""
    containers = docker(
        "ps", "-a", "-q", "--filter", f"label=org.django-sentry-deploy.app={name}"
    )
    images = docker("images", "-q", f"django-sentry-deploy/{name}")
    assert containers.returncode == 0 and images.returncode == 0, containers.stderr + images.stderr
    return containers.stdout.split() + images.stdout.split()


@pytest.fixture
def refused(tmp_path: Path, project: Path) -> Iterator[Callable[[str, str], str]]:
    """refused(name, message): deploy the broken project as app `name`; the one failure's
    message must be `message`, and nothing may be left behind. Returns the whole output."""
    names: list[str] = []

    def run(name: str, message: str) -> str:
        names.append(name)
        before = snapshot(project)
        result = deploy(tmp_path, project, name)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        failures = [json.loads(found)["msg"] for found in FATAL.findall(output)]
        # The play stops on one message, its cause first: Docker's build log is not shown.
        assert failures == [message], output[-3000:]
        assert "\n" not in message and ANSI_ESCAPE not in output
        assert "Traceback (most recent call last)" not in output, output[-3000:]
        assert not (tmp_path / "web1").exists() and not (tmp_path / "web2").exists()
        if engine_answers():
            assert app_leftovers(name) == []
        assert snapshot(project) == before
        return output

    yield run
    for name in names:
        for context in (ROOT / ".cache" / "build").glob(f"{name}-*"):
            shutil.rmtree(context) if context.is_dir() else context.unlink()
        (ROOT / ".cache" / "build" / f"{name}.log").unlink(missing_ok=True)


def build_log(name: str) -> str:
    """Where a failed build's whole log is kept, as the message names it."""
    return f". The whole build log: {ROOT}/.cache/build/{name}.log"


def test_no_manage_py(project: Path, refused: Callable[[str, str], str]) -> None:
    (project / "manage.py").unlink()
    refused("badinput1", (
        f"no manage.py in {project} (looked at {project}/manage.py and "
        f"{project}/*/manage.py); set django_app_manage_py"
    ))


def test_two_manage_py_candidates(project: Path, refused: Callable[[str, str], str]) -> None:
    # manage.py at the root wins over any below it: two candidates means none at the root
    # and two one level down.
    (project / "web").mkdir()
    (project / "manage.py").rename(project / "web" / "manage.py")
    (project / "tools").mkdir()
    shutil.copy2(project / "web" / "manage.py", project / "tools" / "manage.py")
    refused("badinput2", (
        f"2 manage.py files found: {project}/tools/manage.py, {project}/web/manage.py; "
        "set django_app_manage_py"
    ))


@pytest.mark.docker
def test_settings_that_do_not_import(
    project: Path, refused: Callable[[str, str], str], docker_engine: None
) -> None:
    settings = project / "mysite" / "settings.py"
    settings.write_text("import shop_missing_dependency\n" + settings.read_text())
    message = (
        f"The image of {project} did not build: configuration error: the project's settings "
        "(mysite.settings) do not import: ModuleNotFoundError: No module named "
        "'shop_missing_dependency' (django_app_settings_module picks another settings module; "
        "django_app_build_env gives placeholders for variables they need while the image builds)"
    ) + build_log("badinput3")
    output = refused("badinput3", message)
    assert "Error building" in (ROOT / ".cache" / "build" / "badinput3.log").read_text()
    # The play's last error, as printed: the rescued cause, alone on its line.
    errors = [line for line in output.splitlines() if line.startswith("[ERROR]: ")]
    assert errors[-1] == f"[ERROR]: Task failed: Action failed: {message}", errors


def test_a_syntax_error_in_the_settings(project: Path, refused: Callable[[str, str], str]) -> None:
    settings = project / "mysite" / "settings.py"
    text = settings.read_text()
    settings.write_text(text + "DEBUG = = True\n")
    line = text.count("\n") + 1
    refused("badinput4", f"{settings}:{line}: invalid syntax")


def test_a_pin_that_conflicts_with_the_bundle(
    project: Path, refused: Callable[[str, str], str]
) -> None:
    requirements = project / "requirements.txt"
    text = requirements.read_text()
    requirements.write_text(text + "sentry-sdk==1.45.1\n")
    line = text.count("\n") + 1
    refused("badinput5", (
        f"the project pins sentry-sdk==1.45.1 ({requirements}:{line}); "
        "the bundle needs sentry-sdk>=2.75,<3"
    ))


@pytest.mark.docker
def test_a_source_only_package_without_build_packages(
    project: Path, refused: Callable[[str, str], str], docker_engine: None
) -> None:
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + "psycopg2==2.9.10\n")
    refused("badinput6", (
        f"The image of {project} did not build: build error: psycopg2 has no wheel for "
        "Python 3.11 here and builds from source: list the compilers and headers it needs in "
        "django_app_build_packages (for example [build-essential, libpq-dev]) and the "
        "libraries it loads at run time in django_app_runtime_packages (for example [libpq5])"
    ) + build_log("badinput6"))


def test_no_django_in_the_requirements(
    project: Path, refused: Callable[[str, str], str]
) -> None:
    requirements = project / "requirements.txt"
    kept = [line for line in requirements.read_text().splitlines(True)
            if not line.startswith("Django==")]
    requirements.write_text("".join(kept))
    refused("badinput7", f"{requirements}: Django is not among the project's requirements")
