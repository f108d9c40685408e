"""The end of `make demo`: send one error through /sentry-debug/ (once per release) and print
what runs, read from the host (release) and from the Sentry stand-in (event, alert rules).

    python -m demo.summary --app-url http://127.0.0.1:8080 --sentry-url http://127.0.0.1:9000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tools.sentry_standin.state import load_seed

EVENT_WAIT = 30  # seconds for the error event to reach the stand-in


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def read_release(app_dir: Path) -> dict[str, Any]:
    """The release serving traffic: its metadata as the django_app role recorded it."""
    container = (app_dir / "current").read_text(encoding="utf-8").strip()
    for path in (app_dir / "releases").glob("*.json"):
        release = json.loads(path.read_text(encoding="utf-8"))
        if release.get("container") == container:
            return release
    raise SystemExit(f"error: no release metadata in {app_dir}/releases for {container}")


def error_events(sentry_url: str, release: str) -> list[dict[str, Any]]:
    events = get_json(f"{sentry_url}/_standin/events")
    return [
        e for e in events
        if e["type"] == "event" and isinstance(e["payload"], dict)
        and e["payload"].get("release") == release
    ]


def trigger_error(app_url: str) -> None:
    """GET /sentry-debug/: the app raises ZeroDivisionError and answers 500."""
    try:
        urllib.request.urlopen(f"{app_url}/sentry-debug/", timeout=10)
    except urllib.error.HTTPError as error:
        if error.code != 500:
            raise SystemExit(
                f"error: {app_url}/sentry-debug/ answered {error.code}, not 500") from None
        return
    raise SystemExit(f"error: {app_url}/sentry-debug/ answered 200; is the debug view on?")


def wait_for_event(sentry_url: str, release: str) -> dict[str, Any]:
    deadline = time.monotonic() + EVENT_WAIT
    while time.monotonic() < deadline:
        events = error_events(sentry_url, release)
        if events:
            return events[-1]
        time.sleep(1)
    raise SystemExit(f"error: no error event of {release} reached {sentry_url} in {EVENT_WAIT}s")


def describe_event(event: dict[str, Any]) -> list[str]:
    payload = event["payload"]
    values = (payload.get("exception") or {}).get("values") or [{}]
    exception = values[-1]
    return [
        f"  event id     {event['event_id']}",
        f"  exception    {exception.get('type', '?')}: {exception.get('value', '')}",
        f"  transaction  {payload.get('transaction', '?')}",
        f"  environment  {payload.get('environment', '?')}",
        f"  release      {payload.get('release', '?')}",
        f"  received at  {event['received_at']}",
    ]


def email_target(config: dict[str, Any], seed: dict[str, Any]) -> str:
    """Who an email action notifies, with the stand-in's ids turned back into names."""
    kind = str(config.get("targetType", "")).lower()
    ident = str(config.get("targetIdentifier"))
    if kind in ("user", "member"):
        emails = {m["user"]["id"]: m["email"] for m in seed["members"] if m["user"]}
        return f"member {emails.get(ident, ident)}"
    if kind == "team":
        slugs = {t["id"]: t["slug"] for t in seed["teams"]}
        return f"team {slugs.get(ident, ident)}"
    fallthrough = config.get("fallthroughType")
    return "issue owners" + (f" (else {fallthrough})" if fallthrough else "")


def describe_rules(state: dict[str, Any], seed: dict[str, Any]) -> list[str]:
    lines = []
    for workflow in state["workflows"]:
        targets = [
            email_target({**action["config"], **action.get("data", {})}, seed)
            for group in workflow.get("actionFilters") or []
            for action in group["actions"] if action["type"] == "email"
        ]
        lines.append(f"  {workflow['name']}  ->  {', '.join(targets) or 'no email'}")
    for rule in state["rules"]:
        targets = [email_target(action, seed) for action in rule["actions"]
                   if "targetType" in action]
        lines.append(f"  {rule['name']}  ->  {', '.join(targets) or 'no email'}")
    return lines or ["  (none)"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-url", required=True)
    parser.add_argument("--sentry-url", required=True)
    parser.add_argument("--app-dir", type=Path, default=Path("/opt/web"))
    parser.add_argument("--app-name", default="web")
    args = parser.parse_args(argv)

    release = read_release(args.app_dir)
    version = f"{args.app_name}@{release['version']}"
    sent = not error_events(args.sentry_url, version)
    if sent:
        trigger_error(args.app_url)
    event = wait_for_event(args.sentry_url, version)
    state = get_json(f"{args.sentry_url}/_standin/state")

    lines = [
        "",
        "The demo is running.",
        f"  app          {args.app_url}/  (container {release['container']})",
        f"  release      {version}  (image {release['image']}; "
        f"{len(state['deploys'].get(version, []))} deploy(s) recorded in Sentry)",
        f"  Sentry       {args.sentry_url}  (local stand-in, {state['mode']} API)",
        "",
        "Error event at Sentry" + (" (just sent via /sentry-debug/):" if sent
                                   else " (sent by an earlier run of this release):"),
        *describe_event(event),
        "",
        "Alert rules in Sentry (email targets):",
        *describe_rules(state, load_seed()),
        "",
        "Try next:",
        *[f"  {command:<46}  {what}" for command, what in (
            (f"curl -i {args.app_url}/sentry-debug/", "send another error"),
            (f"curl -s {args.sentry_url}/_standin/events", "what Sentry received"),
            ("make demo-status", "what runs (playbooks/status.yml)"),
            ("make demo-logs", "the app's and proxy's logs (playbooks/logs.yml)"),
            ("make demo-down", "remove everything the demo started"),
        )],
        "",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
