# Shared by scripts/demo.sh and scripts/demo-down.sh (sourced, not run).
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export DEMO_APP_PORT=${DEMO_APP_PORT:-8080}
export DEMO_SENTRY_PORT=${DEMO_SENTRY_PORT:-9000}
export DEMO_CANDIDATE_PORT=${DEMO_CANDIDATE_PORT:-8079}
DEMO_APP_URL="http://127.0.0.1:$DEMO_APP_PORT"
DEMO_SENTRY_URL="http://127.0.0.1:$DEMO_SENTRY_PORT"
DEMO_APP_DIR=/opt/web
DEMO_BASE_IMAGE=django-sentry-deploy/debian:12
# Logs of the last run, and the marker that this checkout started the demo.
DEMO_STATE_DIR="$ROOT/.cache/demo"
DEMO_MARKER="$DEMO_STATE_DIR/started"
# inventory/local/demo-vault-password.txt is a DEMO-ONLY password: never use it elsewhere.
DEMO_ANSIBLE_OPTIONS=(-i "$ROOT/inventory/local" --vault-password-file "$ROOT/inventory/local/demo-vault-password.txt")
DEMO_CHANGED_TOTAL=0

demo_require_root() {
  [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null \
    || die "the demo deploys to this machine with become: run it as root or with passwordless sudo"
}

# Whether site.yml's docker part (the docker_engine role) may manage this machine's engine.
demo_provisions_docker() {
  case "${DEMO_PROVISION_DOCKER:-auto}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  [ "$(id -u)" = 0 ] && [ -r /etc/os-release ] && [ "$(. /etc/os-release && echo "${ID:-}")" = debian ] \
    && dpkg-query -W -f '${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'
}

# demo_play NAME PLAYBOOK [OPTIONS...]: run it with the demo inventory, its output in
# .cache/demo/NAME.log; print the recap, or the end of the log when it fails.
demo_play() {
  local name=$1 playbook=$2 logfile="$DEMO_STATE_DIR/$1.log" start=$SECONDS recap changed
  shift 2
  log "$name: ansible-playbook ${playbook#"$ROOT/"} $*"
  if ! "$VENV/bin/ansible-playbook" "${DEMO_ANSIBLE_OPTIONS[@]}" "$@" "$playbook" >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    die "$name failed; the whole output is in ${logfile#"$ROOT/"}"
  fi
  recap=$(grep -E '^localhost +:' "$logfile" | tail -n 1 | tr -s ' ')
  changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' <<<"$recap")
  DEMO_CHANGED_TOTAL=$((DEMO_CHANGED_TOTAL + changed))
  log "$name done in $((SECONDS - start))s: ${recap#localhost : }"
}
