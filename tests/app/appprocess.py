"""The app's Python code in a fresh interpreter, with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def run_python(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in `tmp_path` with only PATH, `env` and what keeps the run in `tmp_path`:
    no .env file is read, the SQLite database and static files go there."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_ENV_FILE": str(tmp_path / "no.env"),
        "DJANGO_DATA_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
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


def manage(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """`manage.py ARGS`, warnings as errors."""
    return run_python(["-W", "error", str(APP / "manage.py"), *args], env, tmp_path)
