"""Cost of a sentry_alerts run for 3, 30 and 300 rules against the local stand-in.

For each size and API, runs playbooks/sentry_alerts.yml twice with ansible-playbook (first
run: every rule created; second run: nothing to do) against a fresh stand-in on 127.0.0.1,
and prints the API requests and the wall time of each run. Prints; asserts nothing.

    .venv/bin/python bench/alert_rules.py [--sizes 3 30 300] [--modes current legacy]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.sentry_standin import make_server  # noqa: E402

TOKEN = "sntrys_test_full"


def rules(count: int) -> list[dict]:
    """Distinct rules (legacy Sentry refuses exact duplicates), with every kind of target."""
    targets = [{"to": "issue_owners"}, {"to": "team", "team": "backend"},
               {"to": "member", "member": "alice@example.com"}]
    return [
        {"name": f"Rule {i:03d}", "environment": "production", "when": ["first_seen"],
         "email": targets[i % 3], "frequency": 5 + i}
        for i in range(count)
    ]


def run(url: str, count: int, workdir: Path) -> tuple[float, str]:
    (workdir / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    (workdir / "vars.yml").write_text(yaml.safe_dump({
        "sentry_api_url": url, "sentry_api_token": TOKEN, "sentry_org": "acme",
        "sentry_project": "web", "sentry_alert_rules": rules(count),
    }))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i",
               str(workdir / "hosts"), "-e", f"@{workdir / 'vars.yml'}",
               str(ROOT / "playbooks" / "sentry_alerts.yml")]
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    elapsed = time.monotonic() - started
    recap = [line for line in done.stdout.splitlines() if line.startswith("localhost")]
    return elapsed, ("ok" if done.returncode == 0 else "FAILED") + " " + " ".join(recap[-1:])


def measure(mode: str, count: int) -> tuple[int, float, int, float, str]:
    server = make_server(mode=mode, page_size=100)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            first_time, first_status = run(server.url, count, Path(tmp))
            first = len(server.state.requests)
            noop_time, noop_status = run(server.url, count, Path(tmp))
            noop = len(server.state.requests) - first
        status = first_status.split()[0] + "/" + noop_status.split()[0]
        return first, first_time, noop, noop_time, status
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 30, 300])
    parser.add_argument("--modes", nargs="+", default=["current", "legacy"])
    options = parser.parse_args()
    print(f"{'API':<9} {'rules':>5} | {'first run: requests':>19} {'wall s':>7} | "
          f"{'no-op: requests':>15} {'wall s':>7} | runs")
    for mode in options.modes:
        for count in options.sizes:
            first, first_time, noop, noop_time, status = measure(mode, count)
            print(f"{mode:<9} {count:>5} | {first:>19} {first_time:>7.2f} | "
                  f"{noop:>15} {noop_time:>7.2f} | {status}")


if __name__ == "__main__":
    main()
