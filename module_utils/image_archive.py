"""Image archives shipped from where the images were built to the hosts that lack them.

An archive is `docker save` of the release's images, compressed with zstd when the
controller and every receiving host have it, else with gzip (which `docker load` reads
itself). `docker save` is byte-identical for the same images, so the archive is named by
the images' ids and kept: a second deploy of the same images exports nothing.
Data is streamed through pipes and files, never held whole in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

SUFFIXES = {"zstd": ".tar.zst", "gzip": ".tar.gz"}
CHUNK = 1 << 20


class ArchiveError(Exception):
    pass


def docker(*args: str) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ArchiveError(f"docker {args[0]} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def image_ids(names: list[str]) -> dict[str, str]:
    ids = docker("image", "inspect", "--format", "{{.Id}}", *names).splitlines()
    return dict(zip(names, ids, strict=True))


def archive_key(ids: dict[str, str]) -> str:
    """Names and ids: `docker save` records the names, so both decide the bytes."""
    text = "\n".join(f"{name}={ids[name]}" for name in sorted(ids))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def choose_compression(controller_has_zstd: bool, hosts_zstd: dict[str, bool]) -> tuple[str, str]:
    """The compression, and why when it is not zstd."""
    if not controller_has_zstd:
        return "gzip", "zstd is missing where the images were built"
    lacking = sorted(host for host, has in hosts_zstd.items() if not has)
    if lacking:
        return "gzip", f"zstd is missing on {', '.join(lacking)}"
    return "zstd", ""


def compression_of(path: str) -> str:
    for compression, suffix in SUFFIXES.items():
        if path.endswith(suffix):
            return compression
    raise ArchiveError(f"{path} is not an image archive ({', '.join(SUFFIXES.values())})")


def _compress(source: BinaryIO, dest: BinaryIO, compression: str) -> None:
    if compression == "zstd":
        proc = subprocess.run(
            ["zstd", "-q", "-T0", "-c"], stdin=source, stdout=dest, stderr=subprocess.PIPE,
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise ArchiveError(f"zstd failed: {proc.stderr.decode(errors='replace').strip()}")
        return
    with gzip.GzipFile(fileobj=dest, mode="wb", compresslevel=6, mtime=0) as zipped:
        shutil.copyfileobj(source, zipped, CHUNK)


def export(names: list[str], dest: Path, compression: str) -> None:
    """`docker save | compress` into `dest`, through a temporary file renamed at the end."""
    fd, partial = tempfile.mkstemp(dir=dest.parent, prefix=".partial-", suffix=dest.suffix)
    try:
        # Errors to a file: a pipe nobody reads until the end could stall `docker save`.
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryFile() as errors:
            command = ["docker", "save", *names]
            save = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
            assert save.stdout is not None
            _compress(save.stdout, out, compression)
            save.stdout.close()
            if save.wait() != 0:
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip()
                raise ArchiveError(f"docker save failed: {message}")
        os.replace(partial, dest)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def make_archive(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The release's archive in `dest_dir`, made unless a copy for these images is there;
    the prefix's other archives (earlier releases) are removed."""
    names = sorted(set(params["names"]))
    hosts_zstd = {
        host: bool(found["zstd"])
        for host, found in params["receivers"].items()
        if isinstance(found, dict) and "zstd" in found
    }
    compression, reason = choose_compression(shutil.which("zstd") is not None, hosts_zstd)
    dest_dir = Path(params["dest_dir"])
    key = archive_key(image_ids(names))
    dest = dest_dir / f"{params['prefix']}-{key}{SUFFIXES[compression]}"
    own = re.compile(re.escape(params["prefix"]) + r"-[0-9a-f]{16}\.tar\.(zst|gz)")
    stale = [
        path for path in sorted(dest_dir.glob("*.tar.*"))
        if path != dest and own.fullmatch(path.name)
    ]  # fmt: skip
    made = not dest.exists()
    if not check_mode:
        dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if made:
            export(names, dest, compression)
        for path in stale:
            path.unlink()
    return {
        "changed": made or bool(stale),
        "path": str(dest),
        "compression": compression,
        "reason": reason,
        "size": dest.stat().st_size if dest.exists() else 0,
        "images": names,
        "removed": [str(path) for path in stale],
    }


def _existing(path: Path) -> Path:
    """`path`, or its nearest existing parent (the directory may not be made yet)."""
    while not path.exists():
        path = path.parent
    return path


def host_space(params: dict[str, Any]) -> dict[str, Any]:
    """Whether this host has zstd, and room for an archive of `archive_size` bytes: the
    filesystems of `archive_dir` and of Docker's data each need `archive_size` x `factor`."""
    need = int(params["archive_size"] * params["factor"])
    zstd = shutil.which("zstd") is not None
    if need == 0:
        return {"zstd": zstd, "need": 0, "short": []}
    docker_root = Path(docker("info", "--format", "{{.DockerRootDir}}"))
    short = []
    seen: set[int] = set()
    for path in (Path(params["archive_dir"]), docker_root):
        existing = _existing(path)
        if existing.stat().st_dev in seen:
            continue
        seen.add(existing.stat().st_dev)
        free = shutil.disk_usage(existing).free
        if free < need:
            short.append(f"{free / 1e6:,.0f} MB free for {path}")
    return {"zstd": zstd, "need": need, "short": short}


def space_message(size: int, factor: float, short: list[str]) -> str:
    return (
        "too little disk space to receive and load the release's images: they need "
        f"{size * factor / 1e6:,.0f} MB (the {size / 1e6:,.0f} MB archive x {factor:g}) and has "
        f"{'; '.join(short)} (free space there, or lower django_app_archive_space_factor)"
    )


def _docker_load(archive: BinaryIO, compression: str) -> subprocess.CompletedProcess[bytes]:
    if compression != "zstd":
        return subprocess.run(["docker", "load"], stdin=archive, capture_output=True, check=False)
    unzstd = subprocess.Popen(["zstd", "-q", "-d", "-c"], stdin=archive, stdout=subprocess.PIPE)
    assert unzstd.stdout is not None
    proc = subprocess.run(["docker", "load"], stdin=unzstd.stdout, capture_output=True, check=False)
    unzstd.stdout.close()
    if unzstd.wait() != 0 and proc.returncode == 0:
        raise ArchiveError("zstd could not decompress the archive")
    return proc


def load(path: Path) -> list[str]:
    """`docker load` of the archive, decompressed on the way (Docker 20.10 reads gzip but
    not zstd); the archive is removed afterwards, whether the load worked or not."""
    try:
        compression = compression_of(str(path))
        with path.open("rb") as archive:
            proc = _docker_load(archive, compression)
        if proc.returncode != 0:
            errors = proc.stderr.decode(errors="replace").strip()
            raise ArchiveError(f"docker load failed: {errors}")
        prefix = "Loaded image: "
        lines = proc.stdout.decode(errors="replace").splitlines()
        return [line[len(prefix) :] for line in lines if line.startswith(prefix)]
    finally:
        path.unlink(missing_ok=True)
