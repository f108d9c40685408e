"""The README's first command, end to end: `make demo` twice (the second run changes nothing),
then `make demo-down`, which leaves no trace of the demo. Real engine, real deploy, real event.

When a demo is already up on this machine, the test runs `make demo` once (it must change
nothing) and leaves the demo as it found it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = Path("/opt/web")
SENTRY_URL = f"http://127.0.0.1:{os.environ.get('DEMO_SENTRY_PORT', '9000')}"
VAULT_PASSWORD = ROOT / "inventory/local/demo-vault-password.txt"
SUMMARY = re.compile(
    r"release +(?P<release>web@\S+).*"
    r"event id +(?P<event_id>[0-9a-f]{32}).*"
    r"exception +ZeroDivisionError.*"
    r"transaction +/sentry-debug/.*"
    r"environment +demo.*"
    r"release +(?P=release).*"
    r"New issue in the demo +-> +team backend.*"
    r"Issue came back +-> +member alice@example.com.*"
    r"Error spike +-> +issue owners",
    re.DOTALL,
)


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


def make(target: str) -> str:
    result = subprocess.run(["make", "-C", str(ROOT), target], capture_output=True, text=True,
                            timeout=1200, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"make {target} failed:\n{output[-4000:]}"
    print(*re.findall(r"^==> .*(?:done in|took) .*$", output, re.MULTILINE), sep="\n")
    return output


def changed_counts(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"done in \d+s: ok=\d+ changed=(\d+)", output)]


def vault_secrets() -> list[str]:
    """The demo vault's values, decrypted, to look for in the output."""
    vault = ROOT / ".venv/bin/ansible-vault"
    text = subprocess.run(
        [str(vault), "view", "--vault-password-file", str(VAULT_PASSWORD),
         str(ROOT / "inventory/local/group_vars/all/vault.yml")],
        capture_output=True, text=True, check=True,
    ).stdout
    values = re.findall(r"^vault_\w+: *(\S+)$", text, re.MULTILINE)
    return [v for v in values if v != '""']


def demo_is_up() -> bool:
    return APP_DIR.exists() or docker("container", "inspect", "web-sentry").returncode == 0


def leftovers() -> list[str]:
    """Anything of the demo still on this machine."""
    found = []
    names = docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    found += [n for n in names if n == "web-proxy" or n == "web-sentry" or n.startswith("web-")]
    labelled = docker("ps", "-a", "-q", "--filter", "label=org.django-sentry-deploy.app=web")
    found += labelled.stdout.split()
    found += [n for n in ("web",) if docker("network", "inspect", n).returncode == 0]
    found += [v for v in ("web-data", "web-sentry-data")
              if docker("volume", "inspect", v).returncode == 0]
    images = docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    found += [i for i in images if i.startswith("django-sentry-deploy/demo-web")]
    found += [str(p) for p in (APP_DIR, ROOT / ".cache/demo") if p.exists()]
    return found


def test_make_demo_is_idempotent_and_demo_down_leaves_nothing():
    if docker("info").returncode != 0:
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail("no Docker engine answers (REQUIRE_DOCKER=1)")
        pytest.skip("no Docker engine")
    was_up = demo_is_up()

    first = make("demo")
    match = SUMMARY.search(first)
    assert match, f"no complete summary in the output:\n{first[-3000:]}"
    events = json.load(urllib.request.urlopen(f"{SENTRY_URL}/_standin/events", timeout=10))
    assert match["event_id"] in [e["event_id"] for e in events]
    for secret in vault_secrets():
        assert secret not in first, "a vault value appeared in make demo's output"

    if was_up:
        assert changed_counts(first) == [0, 0], first[-3000:]
        return

    second = make("demo")
    assert changed_counts(second) == [0, 0], second[-3000:]
    again = SUMMARY.search(second)
    assert again, f"no complete summary in the output:\n{second[-3000:]}"
    assert (again["release"], again["event_id"]) == (match["release"], match["event_id"])
    assert "sent by an earlier run of this release" in second

    make("demo-down")
    assert leftovers() == []
