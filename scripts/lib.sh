# Shared helpers for the scripts in this folder (sourced, not run).
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

docker_ready() { docker info >/dev/null 2>&1; }
