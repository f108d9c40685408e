"""A package without a wheel builds from source in the build stage; no compiler reaches the
runtime image, the library it loads does.

A generated Django 5.2 project requires psycopg2 2.9.10, which PyPI ships for Linux as an
sdist only. The image is built as the role builds it (appimage.build_image) with
django_app_build_packages [build-essential, libpq-dev] and django_app_runtime_packages
[libpq5]. Needs a Docker engine, the base image (`make images`) and Debian's mirror; the
first run downloads build-essential and compiles psycopg2 (a few minutes).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.projects.generate import generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
import appimage  # tests/app: on the path above, one module for every test

pytestmark = pytest.mark.docker

PSYCOPG2 = "2.9.10"  # no manylinux wheel: pip builds it from the sdist
IMAGE_REPO = "django-sentry-deploy/test-source-build"
BUILD_ARGS = {"BUILD_PACKAGES": "build-essential libpq-dev", "RUNTIME_PACKAGES": "libpq5"}
EXTENSION = "import psycopg2._psycopg as m; print(m.__file__)"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not appimage.docker_available():
        # `make test` sets REQUIRE_DOCKER=1: there a missing engine is a failure, not a skip.
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail("no Docker engine answers (REQUIRE_DOCKER=1)")
        pytest.skip("no Docker engine")
    project = generate("django52", tmp_path_factory.mktemp("source-build") / "project")
    with (project / "requirements.txt").open("a") as requirements:
        requirements.write(f"psycopg2=={PSYCOPG2}\n")
    run_id = secrets.token_hex(4)
    tag = f"{IMAGE_REPO}:run-{run_id}"
    context = appimage.REPO / ".cache" / "build" / f"test-source-build-{run_id}"
    try:
        appimage.build_image(appimage.discover(project), tag, context, BUILD_ARGS)
        yield tag
    finally:
        appimage.docker("rmi", tag, check=False)
        shutil.rmtree(context, ignore_errors=True)


def in_image(image: str, entrypoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A command in the image as its own user, the entry point replaced."""
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", entrypoint, image, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_built_from_source_imports_as_the_app_user(image: str) -> None:
    script = 'id -u; python -c "import psycopg2; print(psycopg2.__version__)"'
    proc = in_image(image, "sh", "-c", script)
    assert proc.returncode == 0, proc.stderr
    uid, version = proc.stdout.split("\n", 1)
    assert uid == str(appimage.APP_UID)
    assert version.startswith(f"{PSYCOPG2} ")


def test_its_extension_finds_libpq_from_the_runtime_packages(image: str) -> None:
    proc = in_image(image, "sh", "-c", f'ldd "$(python -c "{EXTENSION}")"')
    assert proc.returncode == 0, proc.stderr
    assert "not found" not in proc.stdout
    libpq = [line for line in proc.stdout.splitlines() if "libpq.so.5 =>" in line]
    assert libpq and "/lib" in libpq[0], proc.stdout


def test_no_compiler_reaches_the_runtime_image(image: str) -> None:
    found = in_image(image, "sh", "-c", "command -v gcc cc make c++ ld")
    assert found.returncode != 0 and found.stdout == "", found.stdout
    status = in_image(
        image, "dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n",
        "build-essential", "libpq-dev", "gcc", "make", "python3-dev", "libpq5",
    )  # fmt: skip
    installed = {
        name
        for name, state in (line.split() for line in status.stdout.splitlines())
        if state == "installed"
    }
    assert installed == {"libpq5"}, status.stdout + status.stderr


def test_no_layer_of_the_image_installs_the_build_packages(image: str) -> None:
    history = appimage.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    assert "libpq5" in history
    assert "build-essential" not in history and "libpq-dev" not in history
