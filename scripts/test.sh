#!/usr/bin/env bash
# The whole test suite: lint, pytest (unit, stand-in contract, modules, app
# settings, image integration), then every Molecule scenario, each timed, so a slow
# one shows in the output.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/lint.sh"

log "pytest"
# Exit code 5 (no tests collected) is a failure here, as every other non-zero code.
start=$SECONDS
REQUIRE_DOCKER=1 "$VENV/bin/pytest" -q --durations=15
times=("pytest $((SECONDS - start))s")

failed=()
for scenario in $(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | sort | xargs -n1 dirname | xargs -n1 basename); do
  log "molecule test -s $scenario"
  start=$SECONDS
  PATH="$VENV/bin:$PATH" "$VENV/bin/molecule" test -s "$scenario" || failed+=("$scenario")
  times+=("molecule $scenario $((SECONDS - start))s")
done

log "time per part: ${times[*]}"
[[ ${#failed[@]} -eq 0 ]] || die "Molecule scenarios failed: ${failed[*]}"
