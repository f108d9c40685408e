#!/usr/bin/env bash
# The whole test suite: lint, pytest (unit, stand-in contract, modules, app
# settings, image integration), then every Molecule scenario.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/lint.sh"

log "pytest"
# Exit code 5 (no tests collected) is a failure here, as every other non-zero code.
REQUIRE_DOCKER=1 "$VENV/bin/pytest" -q

log "molecule test --all"
PATH="$VENV/bin:$PATH" "$VENV/bin/molecule" test --all
