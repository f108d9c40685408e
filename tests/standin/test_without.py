"""`without`: the stand-in as an older Sentry that lacks the events, issues or sessions API."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
import requests
from standin_fields import FULL, NOT_FOUND, call

from tools.sentry_standin import make_server

REPO = Path(__file__).resolve().parents[2]
PATHS = {
    "events": ("organizations/acme/events/", {"dataset": "errors", "field": "count()"}),
    "issues": ("organizations/acme/issues/", {}),
    "sessions": ("organizations/acme/sessions/", {"field": "sum(session)"}),
}


def statuses(standin):
    return {name: call(standin, "GET", path, params=params).status_code
            for name, (path, params) in PATHS.items()}


def test_reset_takes_apis_away_and_gives_them_back(sentry_standin):
    assert statuses(sentry_standin) == {"events": 200, "issues": 200, "sessions": 200}
    answer = sentry_standin.debug("POST", "reset", {"without": ["sessions", "events"]})
    assert answer == {"mode": "current", "without": ["events", "sessions"]}
    assert statuses(sentry_standin) == {"events": 404, "issues": 200, "sessions": 404}
    gone = call(sentry_standin, "GET", PATHS["sessions"][0], params=PATHS["sessions"][1])
    assert gone.json() == NOT_FOUND
    assert sentry_standin.state()["without"] == ["events", "sessions"]
    sentry_standin.reset("current")  # back to what the server started with
    assert statuses(sentry_standin) == {"events": 200, "issues": 200, "sessions": 200}


def test_reset_refuses_unknown_apis(sentry_standin):
    with pytest.raises(urllib.error.HTTPError) as refused:
        sentry_standin.debug("POST", "reset", {"without": ["alerts"]})
    assert refused.value.code == 400
    assert statuses(sentry_standin)["events"] == 200


def test_started_without_and_kept_in_the_state_file(make_sentry_standin, tmp_path):
    state_file = tmp_path / "state.json"
    standin = make_sentry_standin(without=["issues"], state_file=state_file)
    assert statuses(standin) == {"events": 200, "issues": 404, "sessions": 200}
    standin.reset()
    assert statuses(standin)["issues"] == 404
    standin.debug("POST", "reset", {"without": ["events"]})
    standin.stop()
    again = make_sentry_standin(state_file=state_file)
    assert statuses(again) == {"events": 404, "issues": 200, "sessions": 200}
    with pytest.raises(ValueError, match="without"):
        make_server(without=["everything"])


def test_command_line_switch(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.sentry_standin", "--port", "0", "--without",
         "events,sessions"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = proc.stdout.readline().split()[3]
        headers = {"Authorization": f"Bearer {FULL}"}
        got = {name: requests.get(f"{url}/api/0/{path}", params=params, headers=headers,
                                  timeout=5).status_code for name, (path, params) in PATHS.items()}
        assert got == {"events": 404, "issues": 200, "sessions": 404}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "tools.sentry_standin", "--without", "alerts"],
                         cwd=REPO, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert "without" in bad.stderr
