#!/usr/bin/env bash
# One-command setup, safe to re-run: controller virtualenv, a Docker engine
# (installed by the project's docker_engine role when this machine has none),
# the Debian base images and the Molecule platform images.
# --venv-only stops after the virtualenv (enough for linting).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

setup_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want=$(cat "$ROOT/requirements.txt" "$ROOT"/app/requirements.txt "$ROOT"/runtime/requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "virtualenv is up to date"
    return
  fi
  log "installing the controller toolchain into .venv"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
  echo "$want" >"$stamp"
}

setup_docker() {
  if docker_ready; then
    log "Docker engine answers: nothing to install"
    return
  fi
  local id=""
  [ -r /etc/os-release ] && id=$(. /etc/os-release && echo "${ID:-}")
  if [ "$(id -u)" != 0 ] || [ "$id" != debian ]; then
    die "no working Docker engine (docker info fails). Install Docker Engine for your system \
(https://docs.docker.com/engine/install/) and make sure your user may use it, then re-run make setup.
On Debian 12/13 as root, make setup installs it with this project's docker_engine role."
  fi
  log "no Docker engine answers: applying the docker_engine role to this machine"
  # inventory/local holds the demo's vault, encrypted with its demo-only password.
  "$VENV/bin/ansible-playbook" -i "$ROOT/inventory/local/hosts.yml" \
    --vault-password-file "$ROOT/inventory/local/demo-vault-password.txt" "$ROOT/playbooks/docker_host.yml"
  docker_ready || die "the docker_engine role ran but docker info still fails; see /var/log/dockerd.log"
}

setup_venv
[ "${1:-}" = --venv-only ] && exit 0
setup_docker
"$ROOT/docker/base/build-images.sh"
