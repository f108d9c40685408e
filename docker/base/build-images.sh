#!/usr/bin/env bash
# Make sure the local base images exist, without needing a registry:
#   django-sentry-deploy/debian:{12,13}           Debian base (pulled slim image, or debootstrap)
#   django-sentry-deploy/molecule-debian:{12,13}  Molecule platform (systemd, python3, sudo, SSH server)
#   django-sentry-deploy/molecule-docker-debian:{12,13}
#                                                 the same with the docker_engine role's packages
#                                                 (engine not configured, not started)
# and save the base images as tarballs for Docker-in-Docker test instances.
# An image is rebuilt only when missing or when its recipe changed: each carries
# a label with the hash of its recipe.
#
# AIRGAP=1 never contacts a registry (debootstrap from DEBIAN_MIRROR instead).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ns=${IMAGE_NAMESPACE:-django-sentry-deploy}
cache=${IMAGE_CACHE_DIR:-$root/.cache/images}
label=org.django-sentry-deploy.recipe
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

log() { printf '==> %s\n' "$*" >&2; }

recipe_of() { docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true; }


# Base image: the official slim image when a registry answers, otherwise a debootstrap rootfs.
ensure_base() {
  local version=$1 suite=$2 image="$ns/debian:$1" want
  want=$(printf '%s\n' "$suite" | cat - "$here/debootstrap.sh" | sha256sum | cut -c1-16)
  if [ "$(recipe_of "$image")" = "$want" ]; then
    log "$image is up to date"
    return
  fi
  local start=$SECONDS
  if [ "${AIRGAP:-0}" != 1 ] && timeout 120 docker pull -q "debian:$suite-slim" >/dev/null 2>&1; then
    log "building $image from the registry's debian:$suite-slim"
    printf 'FROM debian:%s-slim\nLABEL %s=%s\n' "$suite" "$label" "$want" | docker build -q -t "$image" - >/dev/null
  else
    log "building $image with debootstrap ($suite; registry unreachable or AIRGAP=1)"
    command -v debootstrap >/dev/null || install_debootstrap
    "$here/debootstrap.sh" "$suite" "$image" "$label=$want"
  fi
  log "$image built in $((SECONDS - start))s ($(size_of "$image"))"
}

install_debootstrap() {
  [ "$(id -u)" = 0 ] || { echo "error: debootstrap is missing; install it (apt-get install debootstrap)" >&2; exit 1; }
  log "installing debootstrap"
  apt-get install -y -qq debootstrap >/dev/null
}

ensure_platform() {
  local version=$1 base="$ns/debian:$1" image="$ns/molecule-debian:$1" want
  local context="$root/molecule/resources/platform"
  want=$( (docker image inspect -f '{{.Id}}' "$base"; cat "$context"/*) | sha256sum | cut -c1-16)
  if [ "$(recipe_of "$image")" = "$want" ]; then
    log "$image is up to date"
    return
  fi
  local start=$SECONDS
  log "building $image"
  local out
  if ! out=$(docker build --build-arg "BASE_IMAGE=$base" --label "$label=$want" -t "$image" \
    "$context" 2>&1); then
    printf '%s\n' "$out" >&2
    exit 1
  fi
  log "$image built in $((SECONDS - start))s ($(size_of "$image"))"
}

# Platform of the app scenarios: the packages are the docker_engine role's own (read from
# its defaults and vars), so the recipe changes when the role's list does.
ensure_docker_platform() {
  local version=$1 base="$ns/molecule-debian:$1" image="$ns/molecule-docker-debian:$1" want packages
  local context="$root/molecule/resources/platform-docker" python=python3
  [ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
  packages=$("$python" "$here/docker_engine_packages.py" "$version" | tr '\n' ' ')
  want=$( (docker image inspect -f '{{.Id}}' "$base"; echo "$packages"; cat "$context"/*) | sha256sum | cut -c1-16)
  if [ "$(recipe_of "$image")" = "$want" ]; then
    log "$image is up to date"
    return
  fi
  local start=$SECONDS
  log "building $image ($packages)"
  local out
  if ! out=$(docker build --build-arg "BASE_IMAGE=$base" --build-arg "PACKAGES=$packages" \
    --label "$label=$want" -t "$image" "$context" 2>&1); then
    printf '%s\n' "$out" >&2
    exit 1
  fi
  log "$image built in $((SECONDS - start))s ($(size_of "$image"))"
}

# Tarball of a base image, loaded into the Docker engines inside test instances.
ensure_tarball() {
  local image="$ns/debian:$1" tar="$cache/debian-$1.tar" id
  id=$(docker image inspect -f '{{.Id}}' "$image")
  if [ -f "$tar" ] && [ "$(cat "$tar.id" 2>/dev/null)" = "$id" ]; then
    return
  fi
  mkdir -p "$cache"
  docker save -o "$tar.tmp" "$image"
  mv "$tar.tmp" "$tar"
  echo "$id" >"$tar.id"
}

size_of() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }

for pair in 12:bookworm 13:trixie; do
  ensure_base "${pair%%:*}" "${pair#*:}"
  ensure_platform "${pair%%:*}"
  ensure_docker_platform "${pair%%:*}"
  ensure_tarball "${pair%%:*}"
done
