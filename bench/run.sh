#!/usr/bin/env bash
# Sentry overhead benchmark (see bench/sentry_overhead.py): prints a table, asserts nothing.
# Needs Docker, the base image (`make images`) and wrk (installed with apt when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/.venv/bin/python" "$root/bench/sentry_overhead.py" "$@"
