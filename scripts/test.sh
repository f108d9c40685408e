#!/usr/bin/env bash
# The whole test suite: lint, then pytest (unit, stand-in contract, modules, app settings,
# image integration) and every Molecule scenario, in three lanes that run side by side.
# Each part writes its own log, printed as soon as it is done with its time, so a slow or
# failed part shows in the output; the run fails when any part failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/lint.sh"

# Most of a part's time is spent waiting (on an engine, a health check, a request loop, a
# canary window), so three lanes keep two cores busy. Scenarios in different lanes share no
# platform name. A scenario missing from the lanes runs in the last one.
lanes=(
  "pytest docker_engine"
  "default sentry_alerts sentry_alerts_legacy"
  "django_app rotate_dsn"
)
scenarios=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | sort | xargs -n1 dirname | xargs -n1 basename)
for scenario in $scenarios; do
  [[ " ${lanes[*]} " == *" $scenario "* ]] || lanes[2]+=" $scenario"
done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run_part() {
  local part=$1 start=$SECONDS status=0
  if [ "$part" = pytest ]; then
    # Exit code 5 (no tests collected) is a failure here, as every other non-zero code.
    REQUIRE_DOCKER=1 "$VENV/bin/pytest" -q --durations=15 >"$logs/$part.log" 2>&1 || status=$?
  else
    PATH="$VENV/bin:$PATH" "$VENV/bin/molecule" test -s "$part" >"$logs/$part.log" 2>&1 || status=$?
  fi
  # One block per part, written at once, so the lanes' outputs never interleave.
  {
    printf '==> %s (%ss, exit %s)\n' "$part" "$((SECONDS - start))" "$status"
    cat "$logs/$part.log"
    printf '==> %s %s in %ss\n' "$part" "$([ "$status" -eq 0 ] && echo passed || echo FAILED)" "$((SECONDS - start))"
  } >"$logs/$part.out"
  flock "$logs/print.lock" cat "$logs/$part.out" >&2
  printf '%s %ss%s\n' "$part" "$((SECONDS - start))" "$([ "$status" -eq 0 ] || echo ' FAILED')" >>"$logs/times"
}

run_lane() {
  local part
  for part in $1; do run_part "$part"; done
}

start=$SECONDS
pids=()
for lane in "${lanes[@]}"; do
  log "lane: $lane"
  run_lane "$lane" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

log "time per part: $(paste -sd, "$logs/times" | sed 's/,/, /g'); all parts: $((SECONDS - start))s"
! grep -q ' FAILED$' "$logs/times" || die "failed: $(grep ' FAILED$' "$logs/times" | cut -d' ' -f1 | paste -sd' ')"
