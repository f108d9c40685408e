"""`sentry_test_event` (`python -m django` with the overlay, as the image's entry point runs
it) against the Sentry stand-in's ingest."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from runtimeprocess import django_admin

PROJECT_ID = "4501"
PUBLIC_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"  # the stand-in's seeded key for `web`
UNKNOWN_KEY = "ffffffffffffffffffffffffffffffff"
SECRET = "test-only-secret-key-that-must-not-be-printed-0123456789"


def dsn(url: str, key: str = PUBLIC_KEY) -> str:
    return f"http://{key}@{url.split('://', 1)[1]}/{PROJECT_ID}"


def run_command(
    tmp_path: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {"DJANGO_SECRET_KEY": SECRET, **env}
    return django_admin(["sentry_test_event", *args], env, tmp_path)


def one_line_failure(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("CommandError: ")
    return lines[0]


def test_the_event_arrives_with_its_tags(sentry_standin: Any, tmp_path: Path) -> None:
    proc = run_command(
        tmp_path, {"SENTRY_DSN": dsn(sentry_standin.url), "SENTRY_ENVIRONMENT": "staging"},
        "--tag", "rotation=2024-06", "--tag", "host=web1", "--message", "key rotation check",
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    event_id = proc.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", event_id)
    events = [e for e in sentry_standin.events() if e["type"] == "event"]
    assert [(e["event_id"], e["project_id"], e["key"]) for e in events] == [
        (event_id, PROJECT_ID, PUBLIC_KEY)
    ]
    payload = events[0]["payload"]
    assert payload["level"] == "error"
    assert payload["message"] == "key rotation check"
    assert payload["environment"] == "staging"
    assert payload["tags"] == {"rotation": "2024-06", "host": "web1"}


def test_the_legacy_dsn_variable_sends_too(sentry_standin: Any, tmp_path: Path) -> None:
    proc = run_command(tmp_path, {"DSN": dsn(sentry_standin.url)})

    assert proc.returncode == 0, proc.stderr
    assert [e["event_id"] for e in sentry_standin.events()] == [proc.stdout.strip()]


def test_sentry_off_is_one_line(tmp_path: Path) -> None:
    line = one_line_failure(run_command(tmp_path, {}, "--tag", "a=b"))
    assert "Sentry is off" in line and "SENTRY_DSN" in line


def test_a_refused_key_is_one_line_without_the_key(sentry_standin: Any, tmp_path: Path) -> None:
    proc = run_command(tmp_path, {"SENTRY_DSN": dsn(sentry_standin.url, UNKNOWN_KEY)})

    line = one_line_failure(proc)
    assert "not delivered" in line and "HTTP 403" in line
    assert UNKNOWN_KEY not in proc.stderr
    assert sentry_standin.events() == []


def test_an_unreachable_ingest_is_one_line(
    make_sentry_standin: Callable[..., Any], tmp_path: Path
) -> None:
    standin = make_sentry_standin()
    url = standin.url
    standin.stop()

    line = one_line_failure(run_command(tmp_path, {"SENTRY_DSN": dsn(url)}))
    assert "unreachable" in line


@pytest.fixture
def hanging_ingest() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_hanging_ingest_fails_after_the_timeout(hanging_ingest: str, tmp_path: Path) -> None:
    start = time.monotonic()
    proc = run_command(tmp_path, {"SENTRY_DSN": dsn(hanging_ingest)}, "--timeout", "1")
    took = time.monotonic() - start

    line = one_line_failure(proc)
    assert "not sent within 1 s" in line
    print(f"hanging ingest, --timeout 1: command took {took:.1f} s")


@pytest.mark.parametrize(
    "args",
    [
        ("--tag", "novalue"),
        ("--tag", "bad key=1"),
        ("--tag", "key="),
        ("--message", " "),
        ("--timeout", "0"),
    ],
)
def test_bad_arguments_are_one_line_and_send_nothing(
    sentry_standin: Any, tmp_path: Path, args: tuple[str, ...]
) -> None:
    one_line_failure(run_command(tmp_path, {"SENTRY_DSN": dsn(sentry_standin.url)}, *args))
    assert sentry_standin.events() == []
