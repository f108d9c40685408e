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

molecule_test() {
  PATH="$VENV/bin:$PATH" "$VENV/bin/molecule" test -s "$1"
}

# Scenarios without instances (driver not managed: the controller against the stand-in)
# use little CPU and no engine: they run one after the other alongside the first scenario
# with instances, each into its own log, printed once they are all done.
scenarios=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | sort | xargs -n1 dirname | xargs -n1 basename)
aside=() instances=()
for scenario in $scenarios; do
  if grep -q '^    managed: false' "molecule/$scenario/molecule.yml"; then
    aside+=("$scenario")
  else
    instances+=("$scenario")
  fi
done
aside_dir=$(mktemp -d)
trap 'rm -rf "$aside_dir"' EXIT

run_aside() {
  local scenario start
  for scenario in "${aside[@]}"; do
    start=$SECONDS
    molecule_test "$scenario" >"$aside_dir/$scenario.log" 2>&1 || touch "$aside_dir/$scenario.failed"
    echo "$((SECONDS - start))" >"$aside_dir/$scenario.time"
  done
}

failed=()
aside_pid=""
for scenario in "${instances[@]}"; do
  if [ -z "$aside_pid" ] && [ ${#aside[@]} -gt 0 ]; then
    log "molecule test of ${aside[*]}, alongside $scenario (output below once done)"
    run_aside &
    aside_pid=$!
  fi
  log "molecule test -s $scenario"
  start=$SECONDS
  molecule_test "$scenario" || failed+=("$scenario")
  times+=("molecule $scenario $((SECONDS - start))s")
done
[ -n "$aside_pid" ] || run_aside
[ -z "$aside_pid" ] || wait "$aside_pid"
for scenario in "${aside[@]}"; do
  log "molecule test -s $scenario (ran alongside)"
  cat "$aside_dir/$scenario.log"
  [ ! -e "$aside_dir/$scenario.failed" ] || failed+=("$scenario")
  times+=("molecule $scenario $(cat "$aside_dir/$scenario.time")s (alongside)")
done

log "time per part: ${times[*]}"
[[ ${#failed[@]} -eq 0 ]] || die "Molecule scenarios failed: ${failed[*]}"
