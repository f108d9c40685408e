"""One running release for bench/canary_gate.py: the sample app under the bundle's runtime,
answering a steady stream of in-process WSGI requests until SIGTERM.

Started by canary_gate.py with the runtime and a project on PYTHONPATH and the overlay as
DJANGO_SETTINGS_MODULE (the SENTRY_* variables name the release). Of the requests, a share
`--error-rate` goes to /sentry-debug/ (the same ZeroDivisionError issue in every release);
the rest to the front page and /version. Prints `serving <epoch>` when the first request is
answered, and `{"requests": .., "statuses": {..}}` at exit.

    python bench/canary_release.py --rate 10 --error-rate 0.005 --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import time
import wsgiref.util
from collections import Counter
from collections.abc import Callable
from typing import Any

import django
import sentry_sdk
from django.core.management import call_command

HOST = "127.0.0.1"
# The share of the front page among the requests that are not a background error.
FRONT_PAGE_SHARE = 0.7


def answer(application: Callable[..., Any], path: str) -> int:
    """One GET through the WSGI application, as Gunicorn would call it; its status."""
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": HOST}
    wsgiref.util.setup_testing_defaults(environ)
    status: list[str] = []
    body = application(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    if hasattr(body, "close"):  # PEP 3333: the server closes what has a close()
        body.close()
    return int(status[0].split()[0])


def pick(rng: random.Random, error_rate: float) -> str:
    if rng.random() < error_rate:
        return "/sentry-debug/"
    return "/" if rng.random() < FRONT_PAGE_SHARE else "/version"


def serve(application: Callable[..., Any], rate: float, error_rate: float,
          rng: random.Random) -> Counter[str]:
    """Requests at `rate` per second, on a fixed schedule, until SIGTERM."""
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    statuses: Counter[str] = Counter()
    due = time.monotonic()
    while not stopping:
        statuses[str(answer(application, pick(rng, error_rate)))] += 1
        if sum(statuses.values()) == 1:
            print(f"serving {time.time():.3f}", flush=True)
        due += 1 / rate
        time.sleep(max(0.0, due - time.monotonic()))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--error-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    options = parser.parse_args()
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # Imported only now: WhiteNoise indexes the static files when the app is built.
    from django_sentry_deploy.wsgi import application

    statuses = serve(application, options.rate, options.error_rate,
                     random.Random(options.seed))
    sentry_sdk.flush(timeout=5)
    print(json.dumps({"requests": sum(statuses.values()), "statuses": dict(statuses)}),
          flush=True)


if __name__ == "__main__":
    main()
