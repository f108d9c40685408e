#!/usr/bin/env python3
"""Send a bounded stream of HTTP requests and count the ones that fail.

Used while a release is replaced: every request opens its own connection (as browsers
and load balancers do across a reload), so a refused connection, a reset, a timeout or
any status other than the expected one counts as a failure. Stops after --count requests
or --max-seconds, whichever comes first, or early once --stop-file exists. Prints one
JSON object: sent, failed, the failures by kind, and the statuses seen.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import ssl
import threading
import time
from collections import Counter


def connect(host: str, port: int, timeout: float, tls: bool) -> http.client.HTTPConnection:
    if not tls:
        return http.client.HTTPConnection(host, port, timeout=timeout)
    # The test certificate is self-signed: what is measured is the switch, not the chain.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)


def one_request(
    host: str, port: int, path: str, headers: dict[str, str], timeout: float, tls: bool
) -> str:
    conn = connect(host, port, timeout, tls)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return str(response.status)
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url-host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--https", action="store_true")
    parser.add_argument("--path", default="/")
    parser.add_argument("--host-header", default="localhost")
    parser.add_argument("--expect", default="200")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--interval", type=float, default=0.0, help="pause per worker between requests"
    )
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--ready-file", default="", help="written once the first request succeeded")
    args = parser.parse_args()

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    budget = iter(range(args.count))
    deadline = time.monotonic() + args.max_seconds
    headers = {"Host": args.host_header, "Connection": "close"}

    def worker() -> None:
        while time.monotonic() < deadline:
            if args.stop_file and os.path.exists(args.stop_file):
                return
            with lock:
                if next(budget, None) is None:
                    return
            outcome = one_request(
                args.url_host, args.port, args.path, headers, args.timeout, args.https
            )
            with lock:
                outcomes[outcome] += 1
                if args.ready_file and outcome == args.expect and outcomes[outcome] == 1:
                    with open(args.ready_file, "w", encoding="ascii") as ready:
                        ready.write("ready\n")
            if args.interval:
                time.sleep(args.interval)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sum(outcomes.values())
    failed = sent - outcomes[args.expect]
    print(
        json.dumps(
            {
                "sent": sent,
                "failed": failed,
                "outcomes": dict(outcomes),
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
