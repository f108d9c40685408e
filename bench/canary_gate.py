"""False rollbacks and decision time of the canary gate (sentry_release_gate), measured on real
releases of the sample app reporting to the Sentry stand-in.

One run, side by side: `--deploys` clean deploys in a row, each release answering requests
of which `--error-rate` raise the same ZeroDivisionError as every release before it, and
`--faulty` deploys (spread among them) whose release also raises a new exception on 5% of
the requests to the front page. A deploy: release R starts in a process of its own (the
canary) beside the serving release B, the gate judges R against B through Ansible with the
module's defaults (`--window` changes the wait, for a quick run), then R replaces B when it
passes and is dropped when it fails. Every process is a child of this one, every address is
127.0.0.1. Prints a line per deploy and a table; asserts nothing.

    .venv/bin/python bench/canary_gate.py [--deploys 20] [--faulty 3] [--error-rate 0.005]
    .venv/bin/python bench/canary_gate.py --deploys 2 --faulty 1 --window 20   # about 2 min
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.sentry_standin import StandinServer, make_server  # noqa: E402

TOKEN = "sntrys_test_full"
ORG = "acme"
PROJECT = "web"
PROJECT_ID = "4501"
# The stand-in seed's client key of project web.
DSN_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"
ENVIRONMENT = "production"
FAULT_SHARE = 0.05
# A faulty release: its front page raises an exception no release raised before.
FAULT = '''

import random


class AnnouncementFeedError{number}(RuntimeError):
    """Raised by faulty release {number} only."""


_index = index


def index(request: HttpRequest) -> HttpResponse:
    if random.random() < {share}:
        raise AnnouncementFeedError{number}("the announcement feed is unavailable")
    return _index(request)
'''
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
ISSUE_TIMEOUT = 300.0


@dataclass
class Release:
    name: str
    process: subprocess.Popen[str]
    started: float = 0.0  # when it answered its first request (epoch seconds)


@dataclass
class Deploy:
    number: int
    kind: str  # clean or faulty
    release: str
    baseline: str
    result: dict[str, Any]

    @property
    def passed(self) -> bool:
        return self.result.get("passed") is True

    @property
    def expected(self) -> bool:
        return self.passed == (self.kind == "clean")


def schedule(deploys: int, faulty: int) -> list[str]:
    """The clean deploys in a row, with the faulty ones spread evenly among them."""
    kinds = ["clean"] * deploys
    for index in range(faulty):
        kinds.insert((index + 1) * deploys // (faulty + 1) + index, "faulty")
    return kinds


def project(kind: str, number: int, tmp: Path) -> Path:
    """The sample app; for a faulty deploy, a copy whose front page raises an exception of
    its own (the exception of an earlier faulty release would be that release's issue
    again, not a new one)."""
    if kind == "clean":
        return ROOT / "app"
    copy = tmp / f"faulty-app-{number}"
    shutil.copytree(ROOT / "app", copy, ignore=shutil.ignore_patterns("__pycache__"))
    views = copy / "pages" / "views.py"
    views.write_text(views.read_text() + FAULT.format(number=number, share=FAULT_SHARE))
    return copy


def release_env(name: str, project: Path, workdir: Path, url: str) -> dict[str, str]:
    """The image's environment for one release; its database and static files in workdir."""
    port = url.rsplit(":", 1)[1]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'runtime'}{os.pathsep}{project}",
        "DJANGO_SETTINGS_MODULE": "django_sentry_deploy.settings",
        "DJANGO_PROJECT_SETTINGS": "config.settings",
        "DJANGO_ENV_FILE": str(workdir / "no.env"),
        "DJANGO_DATA_DIR": str(workdir),
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "TMPDIR": str(workdir),
        "SENTRY_DSN": f"http://{DSN_KEY}@127.0.0.1:{port}/{PROJECT_ID}",
        "SENTRY_RELEASE": name,
        "SENTRY_ENVIRONMENT": ENVIRONMENT,
        "SENTRY_DEBUG_VIEW": "1",
        # Profiles do not enter the gate; they would only take the shared CPU.
        "SENTRY_PROFILES_SAMPLE_RATE": "0",
    }


def start_release(name: str, project: Path, tmp: Path, url: str,
                  options: argparse.Namespace, seed: int) -> Release:
    """Start a release and wait for its first answered request."""
    workdir = tmp / name.replace("@", "-")
    workdir.mkdir()
    command = [sys.executable, str(ROOT / "bench" / "canary_release.py"),
               "--rate", str(options.rate), "--error-rate", str(options.error_rate),
               "--seed", str(seed)]
    with (workdir / "stderr.log").open("w") as log:
        process = subprocess.Popen(command, env=release_env(name, project, workdir, url),
                                   cwd=workdir, stdout=subprocess.PIPE, stderr=log, text=True)
    release = Release(name, process)
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("serving "):
        stop_release(release)
        log_tail = (workdir / "stderr.log").read_text().strip().splitlines()[-5:]
        raise SystemExit("\n".join([f"{name} did not start:", *log_tail]))
    release.started = float(line.split()[1])
    return release


def stop_release(release: Release) -> Counter[str]:
    """SIGTERM, then its own count of the requests it answered, by status."""
    release.process.terminate()
    try:
        out, _ = release.process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        release.process.kill()
        out, _ = release.process.communicate()
    lines = out.strip().splitlines()
    try:
        return Counter(json.loads(lines[-1])["statuses"] if lines else {})
    except (json.JSONDecodeError, KeyError):
        return Counter()


def wait_for_issue(url: str) -> None:
    """The background error's issue exists before the first canary, as in a project that
    has been running: the first release is its first release."""
    request = urllib.request.Request(
        f"{url}/api/0/organizations/{ORG}/issues/?project={PROJECT_ID}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    deadline = time.monotonic() + ISSUE_TIMEOUT
    while time.monotonic() < deadline:
        with urllib.request.urlopen(request, timeout=10) as response:
            if json.load(response):
                return
        time.sleep(2)
    raise SystemExit("the first release's background error never reached the stand-in")


def gate_args(url: str, release: str, baseline: str, since: float,
              window: float | None) -> dict[str, Any]:
    args: dict[str, Any] = {
        "api_url": url, "api_token": "{{ bench_gate_token }}", "org": ORG,
        "project": PROJECT, "environment": ENVIRONMENT, "release": release,
        "baseline": baseline, "since": datetime.fromtimestamp(since, UTC).isoformat(),
    }
    if window is not None:
        args["window"] = window
    return args


def run_gate(args: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The module through `ansible` on localhost; its result, or {"lines": [why not]}."""
    token_vars = tmp / "gate-vars.json"
    token_vars.write_text(json.dumps({"bench_gate_token": TOKEN}))
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,",
               "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
               "-e", f"@{token_vars}", "-m", "sentry_release_gate", "-a", json.dumps(args)]
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
           "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=args.get("window", 120) + 600, check=False)
    try:
        result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (json.JSONDecodeError, KeyError, IndexError):
        return {"lines": [f"ansible exited {done.returncode}: {done.stderr.strip()[-500:]}"]}
    if "decision" not in result:
        return {"lines": [f"module failed: {result.get('msg')}"]}
    return result


def rate_text(result: dict[str, Any]) -> str:
    rule = next((r for r in result.get("rules", []) if r["name"] == "error_rate"), {})
    if "rate" not in rule:
        return f"error rate {rule.get('result', '-')}"
    return (f"R {rule['errors']}/{rule['requests']} = {rule['rate']:.2%}, "
            f"B {rule['baseline_errors']}/{rule['baseline_requests']} = "
            f"{rule['baseline_rate']:.2%}")


def report_deploy(deploy: Deploy) -> None:
    result = deploy.result
    failed = [r["name"] for r in result.get("rules", []) if r["result"] == "fail"]
    print(f"{deploy.number:>3} {deploy.kind:<6} {deploy.release:<12} vs {deploy.baseline:<12} "
          f"{result.get('decision', 'error'):<12} "
          f"{result.get('seconds_to_decision', float('nan')):>7.1f} s "
          f"looks {result.get('looks', 0):>2}  failed: {','.join(failed) or '-':<20} "
          f"{rate_text(result)}", flush=True)


def deploy_all(
    options: argparse.Namespace, server: StandinServer, tmp: Path, statuses: Counter[str]
) -> list[Deploy]:
    """The deploys in order; `statuses` gets the requests every release answered."""
    serving = start_release("web@1.0.0", ROOT / "app", tmp, server.url, options, 0)
    deploys: list[Deploy] = []
    try:
        if options.error_rate > 0:
            wait_for_issue(server.url)
        time.sleep(max(0.0, serving.started + options.warmup - time.time()))
        for number, kind in enumerate(schedule(options.deploys, options.faulty), start=1):
            canary = start_release(f"web@1.{number}.0", project(kind, number, tmp), tmp,
                                   server.url, options, number)
            args = gate_args(server.url, canary.name, serving.name, canary.started,
                             options.window)
            try:
                result = run_gate(args, tmp)
            except BaseException:
                statuses.update(stop_release(canary))
                raise
            deploy = Deploy(number, kind, canary.name, serving.name, result)
            deploys.append(deploy)
            report_deploy(deploy)
            if deploy.passed:
                serving, canary = canary, serving
            statuses.update(stop_release(canary))
    finally:
        statuses.update(stop_release(serving))
    return deploys


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}")


def summary(deploys: list[Deploy], options: argparse.Namespace, statuses: Counter[str]) -> None:
    clean = [d for d in deploys if d.kind == "clean"]
    faulty = [d for d in deploys if d.kind == "faulty"]
    times = [d.result["seconds_to_decision"] for d in clean if "seconds_to_decision" in d.result]
    caught = [d for d in faulty if not d.passed]
    caught_times = [d.result["seconds_to_decision"] for d in caught
                    if "seconds_to_decision" in d.result]
    window = "module default (120)" if options.window is None else f"{options.window:g}"
    print(f"\nwindow {window} s, {options.rate:g} requests/s per release, background error "
          f"rate {options.error_rate:.2%}, faults on {FAULT_SHARE:.0%} of front-page requests")
    answered = sum(statuses.values())
    rows = [
        ("requests answered (500s among them)",
         f"{answered} ({statuses['500']}, {statuses['500'] / max(answered, 1):.2%})"),
        ("clean deploys", str(len(clean))),
        ("false rollbacks", f"{sum(not d.passed for d in clean)} of {len(clean)}"),
        ("decision time, clean (min / median / max s)", spread(times)),
        ("faulty deploys caught", f"{len(caught)} of {len(faulty)}"),
        ("decision time, caught (min / median / max s)", spread(caught_times)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'Measured':<{width}} | Result |\n|{'-' * (width + 2)}|---|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    for deploy in deploys:
        if not deploy.expected:
            print(f"\nunexpected: deploy {deploy.number} ({deploy.kind}) {deploy.release}:")
            for line in deploy.result.get("lines", []):
                print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=20, help="clean deploys (default 20)")
    parser.add_argument("--faulty", type=int, default=3, help="faulty deploys (default 3)")
    parser.add_argument("--error-rate", type=float, default=0.005,
                        help="share of requests raising the background error (default 0.005)")
    parser.add_argument("--window", type=float,
                        help="the gate's window in seconds (default: the module's, 120)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="requests per second each release answers (default 10)")
    parser.add_argument("--warmup", type=float, default=30.0,
                        help="seconds the first release serves alone (default 30)")
    options = parser.parse_args()
    if options.deploys < 0 or options.faulty < 0 or not 0 <= options.error_rate < 1:
        parser.error("--deploys and --faulty must be 0 or more, --error-rate from 0 up to 1")
    statuses: Counter[str] = Counter()
    server = make_server()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="canary-gate-") as tmp:
            deploys = deploy_all(options, server, Path(tmp), statuses)
    finally:
        server.shutdown()
        server.server_close()
    summary(deploys, options, statuses)


if __name__ == "__main__":
    main()
