"""Command line: `python -m tools.sentry_standin --port 9000 --mode current`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from .server import make_server
from .state import MODES, OPTIONAL_APIS, SeedError, check_without


def without_list(value: str) -> list[str]:
    try:
        return check_without([n.strip() for n in value.split(",") if n.strip()])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.sentry_standin",
                                     description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port; 0 picks a free one")
    parser.add_argument("--mode", choices=MODES, default="current",
                        help="current: workflows + detectors; legacy: /rules/ only")
    parser.add_argument("--seed", type=Path, help="JSON seed replacing the built-in one")
    parser.add_argument("--page-size", type=int, default=100,
                        help="items per page of paginated lists (1..100)")
    parser.add_argument("--public-url", help="base URL put into DSNs (default: the bind URL)")
    parser.add_argument("--state-file", type=Path,
                        help="keep the state in this file across restarts (loaded when it exists)")
    parser.add_argument("--pid-file", type=Path, help="write the process id here")
    parser.add_argument("--ingest-delay-ms", type=int, default=0,
                        help="delay every ingest answer by this many milliseconds")
    parser.add_argument("--without", type=without_list, default=[],
                        help=f"answer 404 on these APIs, comma-separated among "
                             f"{','.join(OPTIONAL_APIS)} (as an older Sentry)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        server = make_server(
            args.host, args.port, mode=args.mode, seed=args.seed, page_size=args.page_size,
            public_url=args.public_url, ingest_delay_ms=args.ingest_delay_ms,
            verbose=args.verbose, state_file=args.state_file, without=args.without,
        )
    except (SeedError, ValueError, OSError) as exc:
        print(f"sentry-standin: {exc}", file=sys.stderr)
        return 2
    if args.pid_file:
        args.pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"sentry-standin listening on {server.url} (mode={args.mode})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.pid_file:
            args.pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
