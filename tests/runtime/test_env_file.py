"""The `.env` the role writes (DJANGO_ENV_FILE): values taken literally, the environment
wins, a line that is not NAME=value is one error naming the file and the line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from runtimeprocess import run_python

# Starts with `$`: django-environ would read `$abc...` as a reference to another variable.
DOLLAR_KEY = "$abcDEF0123456789-secret-key-with-$dollars-and-#hash-0123456789"
READ = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps([settings.SECRET_KEY, settings.ALLOWED_HOSTS]))
"""


def read_settings(
    tmp_path: Path, env_text: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "app.env"
    env_file.write_text(env_text)
    return run_python(
        ["-W", "error", "-c", READ], {"DJANGO_ENV_FILE": str(env_file), **(env or {})}, tmp_path
    )


def read(tmp_path: Path, env_text: str, env: dict[str, str] | None = None) -> list[object]:
    proc = read_settings(tmp_path, env_text, env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("quote", ["'", '"', ""])
def test_values_are_taken_literally(tmp_path: Path, quote: str) -> None:
    text = f"# written by the role\n\nDJANGO_SECRET_KEY={quote}{DOLLAR_KEY}{quote}\n"
    text += "export DJANGO_ALLOWED_HOSTS = 'shop.example.com'\n"

    assert read(tmp_path, text) == [DOLLAR_KEY, ["shop.example.com"]]


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    text = f"DJANGO_SECRET_KEY='{DOLLAR_KEY}'\nDJANGO_ALLOWED_HOSTS=from-file.example.com\n"
    env = {"DJANGO_ALLOWED_HOSTS": "from-environment.example.com"}

    assert read(tmp_path, text, env) == [DOLLAR_KEY, ["from-environment.example.com"]]


@pytest.mark.parametrize("bad_line", ["DJANGO_SECRET_KEY", "1SECRET=value", "SECRET KEY=value"])
def test_a_malformed_line_is_one_error_naming_the_file_and_line(
    tmp_path: Path, bad_line: str
) -> None:
    proc = read_settings(tmp_path, f"DJANGO_SECRET_KEY='{DOLLAR_KEY}'\n# ok\n{bad_line}\n")

    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"configuration error: {tmp_path / 'app.env'}:3 is not a NAME=value line\n"
    )


def test_an_unreadable_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "app.env").mkdir()
    proc = run_python(
        ["-W", "error", "-c", READ], {"DJANGO_ENV_FILE": str(tmp_path / "app.env")}, tmp_path
    )

    assert proc.returncode == 2
    assert proc.stderr == (
        f"configuration error: {tmp_path / 'app.env'} cannot be read (Is a directory)\n"
    )


def test_a_missing_file_is_no_error(tmp_path: Path) -> None:
    proc = run_python(["-W", "error", "-c", READ], {"DJANGO_SECRET_KEY": DOLLAR_KEY}, tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0] == DOLLAR_KEY
