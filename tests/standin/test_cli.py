"""`python -m tools.sentry_standin` as a real process: ready line, pid file, seed, SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from standin_fields import FULL

from tools.sentry_standin import make_server
from tools.sentry_standin.state import SeedError, load_seed

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"^sentry-standin listening on (http://127\.0\.0\.1:\d+) \(mode=(\w+)\)$")


@pytest.fixture
def run_standin():
    started = []

    def start(*args):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.sentry_standin", "--port", "0", *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def ready_url(proc):
    line = proc.stdout.readline().strip()
    match = READY.match(line)
    assert match, line + proc.stderr.read() if proc.poll() is not None else line
    return match[1], match[2]


def test_ready_line_pid_file_and_sigterm(run_standin, tmp_path):
    pid_file = tmp_path / "standin.pid"
    proc = run_standin("--mode", "legacy", "--pid-file", str(pid_file),
                       "--public-url", "http://sentry.example:9000")
    url, mode = ready_url(proc)
    assert mode == "legacy"
    assert pid_file.read_text().strip() == str(proc.pid)
    headers = {"Authorization": f"Bearer {FULL}"}
    assert requests.get(f"{url}/api/0/projects/acme/web/rules/", headers=headers,
                        timeout=5).status_code == 200
    key = requests.get(f"{url}/api/0/projects/acme/web/keys/", headers=headers, timeout=5)
    assert "@sentry.example:9000/4501" in key.json()[0]["dsn"]["public"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert not pid_file.exists()


def test_seed_file_replaces_the_builtin_seed(run_standin, tmp_path):
    seed = load_seed()
    seed["organization"] = {"id": "77", "slug": "globex"}
    seed["tokens"] = {"sntrys_other": ["org:read"]}
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    url, _ = ready_url(run_standin("--seed", str(path)))
    org = requests.get(f"{url}/api/0/organizations/globex/",
                       headers={"Authorization": "Bearer sntrys_other"}, timeout=5)
    assert (org.status_code, org.json()["id"]) == (200, "77")
    old = requests.get(f"{url}/api/0/organizations/acme/",
                       headers={"Authorization": f"Bearer {FULL}"}, timeout=5)
    assert old.status_code == 401


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "cannot read seed"), ('{"organization": {"slug": "x"}}', "organization")],
)
def test_bad_seed_is_a_clear_error(run_standin, tmp_path, content, message):
    path = tmp_path / "seed.json"
    path.write_text(content)
    proc = run_standin("--seed", str(path))
    assert proc.wait(timeout=10) == 2
    assert message in proc.stderr.read()
    assert proc.stdout.read() == ""


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("projects", {"name": None}, "seed.projects needs"),
        ("members", {"user": {"id": "1"}}, "user is null"),
        ("keys", {"project": "mobile"}, "unknown project"),
        ("members", {"teams": ["ops"]}, "unknown teams"),
    ],
)
def test_seed_is_checked_before_serving(section, change, message):
    seed = load_seed()
    item = seed[section][0]
    item.update(change)
    if None in item.values():
        del item["name"]
    with pytest.raises(SeedError, match=message):
        make_server(seed=seed)
