"""The runtime (django_sentry_deploy) over a Django project in a fresh interpreter, with a
controlled environment, as the image runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "runtime"
APP = REPO / "app"
SAMPLE_SETTINGS = "config.settings"


def run_python(
    args: list[str], env: dict[str, str], tmp_path: Path, project: Path = APP
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in `tmp_path` with only PATH, `env` and the image's variables: the
    overlay as DJANGO_SETTINGS_MODULE over `project` (the sample by default); no .env file
    is read, the SQLite database and static files go to `tmp_path`."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{RUNTIME}{os.pathsep}{project}",
        "DJANGO_SETTINGS_MODULE": "django_sentry_deploy.settings",
        "DJANGO_PROJECT_SETTINGS": SAMPLE_SETTINGS,
        "DJANGO_ENV_FILE": str(tmp_path / "no.env"),
        "DJANGO_DATA_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "TMPDIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, *args],
        env={**base, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def django_admin(
    args: list[str], env: dict[str, str], tmp_path: Path, project: Path = APP
) -> subprocess.CompletedProcess[str]:
    """`python -m django ARGS` (the image's `manage`), warnings as errors."""
    return run_python(["-W", "error", "-m", "django", *args], env, tmp_path, project)


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A Django project of the given files (relative path -> source), packages made
    importable; returns the directory to put on the import path."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        for package in path.relative_to(root).parents:
            if package != Path("."):
                (root / package / "__init__.py").touch()
    return root
