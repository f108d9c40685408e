#!/usr/bin/env bash
# make demo-down: removes everything `make demo` started (demo/down.yml lists it) and the
# demo's logs and release archives in .cache/demo. Safe to run when nothing is up.
set -euo pipefail
. "$(dirname "$0")/demo-lib.sh"

demo_require_root
[ -x "$VENV/bin/ansible-playbook" ] || die "no .venv: nothing of the demo can be up (make setup creates it)"
docker_ready || die "the Docker engine does not answer (docker info); start it, then re-run make demo-down"
mkdir -p "$DEMO_STATE_DIR"
demo_play down "$ROOT/demo/down.yml"
rm -rf "$DEMO_STATE_DIR"
log "the demo is gone"
