#!/usr/bin/env bash
# ruff, yamllint and ansible-lint (production profile) over the whole tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

log "ruff"
"$VENV/bin/ruff" check .
log "yamllint"
"$VENV/bin/yamllint" --strict .
log "ansible-lint (production profile)"
PATH="$VENV/bin:$PATH" "$VENV/bin/ansible-lint" --offline --profile production
