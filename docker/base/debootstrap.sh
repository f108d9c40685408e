#!/usr/bin/env bash
# Build a minimal Debian root filesystem with debootstrap and import it as a
# Docker image: no registry needed. Usage: debootstrap.sh SUITE IMAGE LABEL=VALUE...
# The mirror comes from DEBIAN_MIRROR (default deb.debian.org), so an internal
# mirror works for air-gapped networks.
set -euo pipefail

suite=$1 image=$2
shift 2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

if ! debootstrap --variant=minbase --components=main "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
  tail -n 30 "$rootfs.log" >&2
  rm -f "$rootfs.log"
  exit 1
fi
rm -f "$rootfs.log"

# Same trimming as the official slim images: no apt lists or package caches,
# no docs or man pages for packages installed later, no recommends.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Install-Recommends "false";
CONF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CONF
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
: >"$rootfs/etc/machine-id"

changes=(--change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8')
for label in "$@"; do changes+=(--change "LABEL $label"); done
tar --numeric-owner -C "$rootfs" -c . | docker import "${changes[@]}" - "$image" >/dev/null
