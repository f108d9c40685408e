"""Bounded traffic for the rotation test: page requests and error events, counted.

Runs until the stop file appears or --max-seconds pass. Every --interval seconds it requests
the page (must answer 200) and the debug view (Django answers 500 after the SDK captured the
error: one event sent). Writes {"requests", "failed", "events_sent", "errors"} as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from pathlib import Path


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    counts = {"requests": 0, "failed": 0, "events_sent": 0, "errors": []}
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline and not Path(args.stop_file).exists():
        started = time.monotonic()
        page = status(f"{args.base}/")
        counts["requests"] += 1
        if page != 200:
            counts["failed"] += 1
            counts["errors"].append(f"/ {page}")
        debug = status(f"{args.base}/sentry-debug/")
        if debug == 500:  # Django's answer: the view raised and the SDK captured it
            counts["events_sent"] += 1
        else:
            counts["failed"] += 1
            counts["errors"].append(f"/sentry-debug/ {debug}")
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    Path(args.result).write_text(json.dumps(counts))


if __name__ == "__main__":
    main()
